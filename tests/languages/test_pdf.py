"""The PDF summary is written with an embedded Unicode font and shaped text, in the requester's
language, tagged with its language and title: French, Vietnamese and Arabic come out as written,
rendered to an image and checked."""

from __future__ import annotations

import re

import pypdfium2
import pytest

from portal.reports.pdf import report_pdf
from portal.reports.sections import Section

HEADER = {
    "country": "VN",
    "country_name": "Việt Nam",
    "kind": "pack",
    "period_start": "2026-01-01",
    "period_end": "2026-01-31",
    "generated_at": "2026-02-01T00:00:00+00:00",
    "absent_sections": [],
}
ARABIC = "سياسة الذكاء الاصطناعي"
SECTIONS = [
    Section(
        "policies",
        "Politiques — « données » adoptées",
        ["title", "note"],
        [["Chính sách trí tuệ nhân tạo", "Évaluée l’été dernier"], [ARABIC, "مراجعة"]],
    )
]


def _open(pdf: bytes):
    document = pypdfium2.PdfDocument(pdf)
    page = document[0]
    text = page.get_textpage().get_text_range()
    image = page.render(scale=2).to_pil().convert("L")
    return document, text, image


def _first_line_columns(image) -> tuple[int, int]:
    """The leftmost and rightmost dark pixel of the first line of text on the page (the title):
    the rows from the first one with ink down to the next blank row."""
    width, height = image.size
    pixels = image.load()

    def inked(y: int) -> list[int]:
        return [x for x in range(width) if pixels[x, y] < 128]

    y = 0
    while y < height and not inked(y):
        y += 1
    xs: list[int] = []
    while y < height and (row := inked(y)):
        xs += row
        y += 1
    return (min(xs), max(xs)) if xs else (-1, -1)


@pytest.mark.parametrize("language", ["fr", "ar"])
def test_the_summary_draws_every_script_in_an_embedded_font(language, artefacts):
    pdf = report_pdf(header=HEADER, sections=SECTIONS, language=language)
    # Tagged: the language and the title, in the requester's language.
    assert re.search(rb"/Lang \(" + language.encode() + rb"\)", pdf)
    assert b"/Title" in pdf
    # Embedded (a subset of) the Unicode font, not a standard Latin-1 one.
    assert b"/FontFile2" in pdf and b"DejaVu" in pdf and b"/Helvetica" not in pdf
    document, text, image = _open(pdf)
    try:
        image.save(artefacts / f"summary-pdf-{language}.png")
        flat = " ".join(text.split())
        assert "Việt Nam" in flat and "Chính sách trí tuệ nhân tạo" in flat
        assert "« données »" in flat and "l’été" in flat
        assert "?" not in flat.replace("python3 verify_bundle.py", "")
        # The Arabic words are drawn (shaped, laid out right to left) and read back from the text layer.
        assert "سياسة" in flat and "الذكاء" in flat
        if language == "fr":
            assert "Rapport de conformité" in flat
        # The title line: in Arabic flush with the right margin and short of the left one; in
        # French flush with the left margin.
        left, right = _first_line_columns(image)
        assert right > 0
        width = image.size[0]
        if language == "ar":
            assert right > width * 0.85 and left > width * 0.3
        else:
            assert left < width * 0.1 and right < width * 0.85
    finally:
        document.close()
