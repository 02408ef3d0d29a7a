"""A short PDF summary of a report, for a person to read: the period, each section's size and its
first rows, in the language of the person who asked for it. Written with fpdf2 in an embedded
Unicode font (DejaVu Sans, shipped in fonts/ under its own licence) with text shaping (HarfBuzz,
through uharfbuzz), so that accents, Vietnamese, Greek, Cyrillic and Arabic (joined, right to
left) are drawn as written; the document is tagged with its language and title. The full data is in
the CSV, JSON and XLSX files beside it."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from fpdf import FPDF

from ..models import ComplianceReport
from .past import AT_GENERATION
from .sections import Section
from .values import heading_shown, value_shown

FONTS = Path(__file__).resolve().parent / "fonts"
ROWS_SHOWN = 12
SIZES = {"h1": 14, "h2": 10, "p": 8, "row": 7}


def _lines(header: dict, sections: list[Section]) -> list[tuple[str, str]]:
    """(style, text) lines: 'h1', 'h2', 'p' or 'row' (a section's row)."""
    lines = [
        (
            "h1",
            _("Compliance report: %(name)s (%(code)s)") % {"name": header["country_name"], "code": header["country"]},
        ),
        (
            "p",
            _("Period %(start)s to %(end)s; kind: %(kind)s; generated %(at)s (UTC).")
            % {
                "start": header["period_start"],
                "end": header["period_end"],
                "kind": ComplianceReport.Kind(header["kind"]).label
                if header["kind"] in ComplianceReport.Kind.values
                else header["kind"],
                "at": header["generated_at"],
            },
        ),
        (
            "p",
            _(
                "Every file of the bundle is listed with its SHA-256 in manifest.json, signed with the portal's "
                "key: run python3 verify_bundle.py on the zip to check it."
            ),
        ),
        ("p", ""),
    ]
    if header.get("absent_sections"):
        lines.append(("p", _("Not included: %(sections)s.") % {"sections": ", ".join(header["absent_sections"])}))
    for section in sections:
        count = len(section.rows)
        lines += [
            ("p", ""),
            (
                "h2",
                ngettext("%(title)s (%(n)d row)", "%(title)s (%(n)d rows)", count)
                % {"title": _(section.title), "n": count},
            ),
        ]
        if section.as_of == AT_GENERATION:
            lines.append(
                (
                    "p",
                    _("As of %(at)s (UTC), when the report was generated: not the state during the period.")
                    % {"at": header["generated_at"]},
                )
            )
        elif section.note:
            lines.append(("p", _(section.note)))
        # Each row a paragraph of "heading: value" pairs, wrapped to the page (never cut), every
        # heading and every code in the reader's words (portal.reports.values).
        for row in section.rows[:ROWS_SHOWN]:
            pairs = (
                _("%(heading)s: %(value)s")
                % {"heading": heading_shown(column), "value": value_shown(section, column, value) or "—"}
                for column, value in zip(section.columns, row)
            )
            lines.append(("row", " · ".join(pairs)))
        if count > ROWS_SHOWN:
            lines.append(
                ("p", _("… and %(n)d more in csv/%(name)s.csv") % {"n": count - ROWS_SHOWN, "name": section.name})
            )
    return lines


class _Summary(FPDF):
    def footer(self) -> None:
        self.set_y(-12)
        self.set_font("DejaVu", size=7)
        self.cell(0, 5, _("Page %(n)d") % {"n": self.page_no()}, align="C")


def report_pdf(*, header: dict, sections: list[Section], language: str = "en") -> bytes:
    """The summary as PDF bytes, written in `language` (the requester's)."""
    with translation.override(language):
        document = _Summary(format="A4")
        document.set_margins(18, 18, 18)
        document.set_auto_page_break(auto=True, margin=18)
        document.add_font("DejaVu", "", str(FONTS / "DejaVuSans.ttf"))
        document.add_font("DejaVu", "B", str(FONTS / "DejaVuSans-Bold.ttf"))
        document.set_text_shaping(True)
        title = _("Compliance report: %(name)s (%(code)s)") % {
            "name": header["country_name"],
            "code": header["country"],
        }
        document.set_title(title)
        document.set_lang(language)
        document.set_creator("Sovereign AI Onboarding Portal")
        document.set_creation_date(datetime.fromisoformat(header["generated_at"]))
        document.add_page()
        align = "R" if translation.get_language_bidi() else "L"
        for style, text in _lines(header, sections):
            document.set_font("DejaVu", "B" if style in ("h1", "h2") else "", SIZES[style])
            height = SIZES[style] * 0.55
            if text:
                # multi_cell wraps a long line onto the next ones, breaking between words, and inside a
                # word (a hash, an address) only where it is longer than the page is wide.
                document.multi_cell(0, height, text, align=align, new_x="LMARGIN", new_y="NEXT")
                if style == "row":
                    document.ln(1)
            else:
                document.ln(height)
        return bytes(document.output())
