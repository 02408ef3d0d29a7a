"""The ledger-events CSV of a report, streamed by PostgreSQL COPY in bounded memory.

The COPY runs the queryset's own SQL (which keeps the country filter) inside the country context
(so row-level security applies as well), and neutralises in SQL every text cell that a spreadsheet
would run as a formula, with the same rule as defusedcsv. Other databases (the embedded demo) get
the same file through a chunked iterator and defusedcsv."""

from __future__ import annotations

import io
from typing import BinaryIO

from defusedcsv import csv
from django.db import connection

from tenants.isolation import country_context
from tenants.languages.headings import KEYS, headings_in
from tenants.models import Country
from tenants.record.models import CountryEvent

from .headings import LABELS
from .sections import Period

COLUMNS = (
    "sequence",
    "at",
    "actor_id",
    "actor_role",
    "action",
    "target_type",
    "target_id",
    "payload",
    "prev_hash",
    "hash",
)
TEXT_COLUMNS = {"actor_role", "action", "target_type", "target_id", "payload"}
# defusedcsv: a cell starting with @ + - = | % that is not a plain number gets a leading quote.
# The first-character test comes first: it is cheap and rules out nearly every cell.
SAFE_SQL = (
    "CASE WHEN left({c}, 1) IN ('@', '+', '-', '=', '|', '%') AND {c} !~ '^-?[0-9,.]+$' "
    "THEN '''' || replace({c}, '|', '\\|') ELSE {c} END AS {name}"
)


def ledger_events_queryset(*, country: Country, period: Period):
    start, end = period.bounds()
    return (
        CountryEvent.objects.filter(country_id=country.pk, at__gte=start, at__lt=end, sequence__isnull=False)
        .order_by("sequence")
        .values_list(*COLUMNS)
    )


class _Binary(io.RawIOBase):
    """psycopg2 writes str chunks for a text COPY; the zip entry wants bytes."""

    def __init__(self, target: BinaryIO):
        self.target = target

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self.target.write(data.encode("utf-8") if isinstance(data, str) else data)
        return len(data)


def copy_statement(queryset) -> str:
    """COPY of the queryset's SQL with its parameters bound by the driver, text cells neutralised."""
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        inner = cursor.mogrify(sql, params).decode()
    select = ", ".join(
        SAFE_SQL.format(c=f'q."{name}"::text', name=f'"{name}"') if name in TEXT_COLUMNS else f'q."{name}"'
        for name in COLUMNS
    )
    return f"COPY (SELECT {select} FROM ({inner}) AS q({', '.join(COLUMNS)})) TO STDOUT WITH CSV"


def ledger_events_csv_write(*, country: Country, period: Period, out: BinaryIO, headings: str = KEYS) -> None:
    """The heading line in the language asked for (or the keys), then the rows."""
    heading = io.StringIO(newline="")
    csv.writer(heading, lineterminator="\n").writerow(headings_in(COLUMNS, LABELS, headings))
    out.write(heading.getvalue().encode("utf-8"))
    with country_context(country):
        queryset = ledger_events_queryset(country=country, period=period)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.cursor.copy_expert(copy_statement(queryset), _Binary(out), size=1 << 16)
            return
        text = io.TextIOWrapper(out, encoding="utf-8", newline="", write_through=True)
        writer = csv.writer(text, lineterminator="\n")  # as COPY ends its lines
        for row in queryset.iterator(chunk_size=5000):
            writer.writerow(row)
        text.flush()
        text.detach()
