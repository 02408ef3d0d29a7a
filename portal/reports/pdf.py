"""A short PDF summary of a report, for a person to read: the period, each section's size and its
first rows. Written directly in PDF 1.4 with the standard Helvetica font (no dependency); text
outside Latin-1 is shown as '?', and the full data is in the CSV, JSON and XLSX files beside it."""

from __future__ import annotations

from .sections import Section
from .writers import plain

PAGE_W, PAGE_H, MARGIN, LEADING = 595, 842, 50, 13  # A4 in points
LINES_PER_PAGE = (PAGE_H - 2 * MARGIN) // LEADING
ROWS_SHOWN = 12
WIDTH_CHARS = 110


def _escape(text: str) -> str:
    text = text.encode("latin-1", "replace").decode("latin-1")
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def _lines(header: dict, sections: list[Section]) -> list[tuple[str, str]]:
    """(style, text) lines: 'h1', 'h2' or 'p'."""
    lines = [
        ("h1", f"Compliance report: {header['country_name']} ({header['country']})"),
        (
            "p",
            (
                f"Period {header['period_start']} to {header['period_end']}; kind: {header['kind']}; "
                f"generated {header['generated_at']}."
            ),
        ),
        ("p", "Every file of the bundle is listed with its SHA-256 in manifest.json, signed with the portal's "),
        ("p", "key: run python3 verify_bundle.py on the zip to check it."),
        ("p", ""),
    ]
    if header.get("absent_sections"):
        lines.append(("p", "Not included: " + ", ".join(header["absent_sections"]) + "."))
    for section in sections:
        lines += [
            ("p", ""),
            ("h2", f"{section.title} ({len(section.rows)} row{'s' if len(section.rows) != 1 else ''})"),
        ]
        if section.rows:
            lines.append(("p", " | ".join(section.columns)[:WIDTH_CHARS]))
            for row in section.rows[:ROWS_SHOWN]:
                lines.append(("p", " | ".join("" if v is None else str(plain(v)) for v in row)[:WIDTH_CHARS]))
            if len(section.rows) > ROWS_SHOWN:
                lines.append(("p", f"... and {len(section.rows) - ROWS_SHOWN} more in csv/{section.name}.csv"))
    return lines


def report_pdf(*, header: dict, sections: list[Section]) -> bytes:
    lines = _lines(header, sections)
    pages = [lines[i : i + LINES_PER_PAGE] for i in range(0, len(lines), LINES_PER_PAGE)] or [[]]
    fonts = {"h1": ("F2", 14), "h2": ("F2", 10), "p": ("F1", 8)}
    objects: list[bytes] = [b"", b""]  # 1: catalog, 2: pages (filled in below)
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")  # 3
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>")  # 4
    page_ids = []
    for number, page in enumerate(pages, start=1):
        stream = ["BT"]
        y = PAGE_H - MARGIN
        for style, text in page:
            font, size = fonts[style]
            stream.append(f"/{font} {size} Tf 1 0 0 1 {MARGIN} {y} Tm ({_escape(text)}) Tj")
            y -= LEADING
        stream.append(f"/F1 7 Tf 1 0 0 1 {MARGIN} {MARGIN / 2} Tm (Page {number} of {len(pages)}) Tj")
        stream.append("ET")
        content = "\n".join(stream).encode("latin-1")
        objects.append(b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream")
        content_id = len(objects)
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {PAGE_W} {PAGE_H}] "
            f"/Resources << /Font << /F1 3 0 R /F2 4 0 R >> >> /Contents {content_id} 0 R >>".encode()
        )
        page_ids.append(len(objects))
    objects[0] = b"<< /Type /Catalog /Pages 2 0 R >>"
    objects[1] = f"<< /Type /Pages /Kids [{' '.join(f'{i} 0 R' for i in page_ids)}] /Count {len(page_ids)} >>".encode()
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for index, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % index + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)
