"""The formats of a report: one CSV per section (formula-injection safe), one JSON document and one
XLSX workbook with a sheet per section. The CSV files and the workbook are headed in the language
asked for (tenants.languages.headings: a language code, or KEYS for the stable keys); the JSON
document always keys its fields by the stable keys."""

from __future__ import annotations

import datetime as dt
import io
import json
from decimal import Decimal
from typing import Any, BinaryIO

import xlsxwriter
from defusedcsv import csv

from tenants.languages.headings import KEYS, headings_in

from .headings import LABELS
from .sections import Section


def plain(value: Any) -> Any:
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def section_csv(section: Section, headings: str = KEYS) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(headings_in(section.columns, LABELS, headings))
    for row in section.rows:
        writer.writerow([plain(v) for v in row])
    return buffer.getvalue().encode("utf-8")


def report_json(*, header: dict, sections: list[Section]) -> bytes:
    document = dict(header)
    document["sections"] = {
        s.name: {
            "title": s.title,
            "note": s.note,
            # "period_end": the state at the end of the period; "generation": as at generated_at.
            "as_of": s.as_of,
            "rows": [dict(zip(s.columns, (plain(v) for v in row))) for row in s.rows],
        }
        for s in sections
    }
    return json.dumps(document, indent=1, ensure_ascii=False, sort_keys=True).encode("utf-8")


def report_xlsx(*, header: dict, sections: list[Section], out: BinaryIO, headings: str = KEYS) -> None:
    """Strings are written as strings (never as formulas): XlsxWriter's write_string does not
    interpret a leading '='."""
    workbook = xlsxwriter.Workbook(
        out, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False, "remove_timezone": True}
    )
    bold = workbook.add_format({"bold": True})
    about = workbook.add_worksheet("about")
    for row, (key, value) in enumerate(sorted(header.items())):
        about.write_string(row, 0, headings_in([key], LABELS, headings)[0], bold)
        about.write_string(row, 1, json.dumps(value) if isinstance(value, (list, dict)) else str(value))
    for section in sections:
        sheet = workbook.add_worksheet(section.name[:31])
        for col, name in enumerate(headings_in(section.columns, LABELS, headings)):
            sheet.write_string(0, col, name, bold)
        for r, row in enumerate(section.rows, start=1):
            for c, value in enumerate(row):
                value = plain(value)
                if value is None:
                    continue
                if isinstance(value, bool):
                    sheet.write_boolean(r, c, value)
                elif isinstance(value, (int, float)):
                    sheet.write_number(r, c, value)
                else:
                    sheet.write_string(r, c, str(value))
    workbook.close()
