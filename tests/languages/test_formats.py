"""Dates and numbers in the reader's own format: pages name a format (DATE_FORMAT…) instead of a
fixed pattern, and text built in Python uses the same formats, never strftime's English."""

import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from django.template import Context, Template
from django.utils import translation

from tenants.languages.formatting import grouped_number, long_date, long_datetime

TEMPLATES = Path(__file__).resolve().parent.parent.parent / "templates"
DAY = date(2026, 12, 3)
MOMENT = datetime(2026, 12, 3, 14, 5, tzinfo=UTC)


def _render(source: str, language: str) -> str:
    with translation.override(language):
        return Template("{% load i18n %}" + source).render(Context({"day": DAY, "moment": MOMENT}))


@pytest.mark.parametrize(
    "language, day, moment",
    [
        ("en", "3 December 2026", "3 December 2026, 14:05"),
        ("fr", "3 décembre 2026", "3 décembre 2026 14:05"),
        ("es", "3 de diciembre de 2026", "3 de diciembre de 2026 a las 14:05"),
        ("pt", "3 de Dezembro de 2026", "3 de Dezembro de 2026 às 14:05"),  # Django’s Portuguese month names
        ("ar", "3 ديسمبر، 2026", "3 ديسمبر، 2026، 14:05"),
        ("sw", "3 Disemba 2026", "3 Disemba 2026, 14:05"),
    ],
)
def test_dates_in_each_languages_format(language, day, moment):
    assert _render('{{ day|date:"DATE_FORMAT" }}', language) == day
    assert _render('{{ moment|date:"DATETIME_FORMAT" }}', language) == moment
    with translation.override(language):
        assert long_date(DAY) == day
        assert long_datetime(MOMENT) == f"{moment} UTC"


def test_short_dates_follow_the_language_too():
    assert _render('{{ day|date:"SHORT_DATE_FORMAT" }}', "en") == "3 Dec 2026"
    assert _render('{{ day|date:"SHORT_DATE_FORMAT" }}', "fr") == "03/12/2026"
    assert _render('{{ day|date:"SHORT_DATE_FORMAT" }}', "sw") == "03/12/2026"


def test_numbers_are_grouped_as_each_language_writes_them():
    with translation.override("en"):
        assert grouped_number(1500000) == "1,500,000"
    with translation.override("fr"):
        assert grouped_number(1500000).replace("\u202f", " ").replace("\xa0", " ") == "1 500 000"


def test_no_template_writes_a_date_with_a_fixed_pattern():
    # date:"j F Y" would order and name the parts the same way in every language; a format's name
    # (or the machine form 'c' inside datetime="…") is what a template may ask for. The one
    # exception is the ISO form of the auditor's pages (year-month-day, UTC, in figures only, the
    # same as their date inputs and hints): it names nothing and reads the same in every language.
    fixed = re.compile(r"""\|date:["']([^"']*)["']""")
    iso = {"Y-m-d", "Y-m-d H:i", "Y-m-d H:i:s"}
    auditor_pages = {"portal/audit.html", "portal/reports/list.html", "tenants/audit/country.html"}
    found = []
    for path in TEMPLATES.rglob("*.html"):
        name = str(path.relative_to(TEMPLATES))
        for pattern in fixed.findall(path.read_text()):
            if pattern in iso and name in auditor_pages:
                continue
            if not pattern.endswith("_FORMAT") and pattern != "c":
                found.append(f"{path.relative_to(TEMPLATES)}: {pattern}")
    assert not found, found


def test_no_python_text_uses_strftimes_month_names():
    root = TEMPLATES.parent
    found = []
    for path in root.glob("*/**/*.py"):
        if any(part in {".venv", "node_modules", "tests", "migrations", "benchmarks"} for part in path.parts):
            continue
        text = path.read_text()
        # In a text string (a bytes literal's %b is bytes formatting, not a month).
        if re.search(r"(?<![bB])([\"'])(?:(?!\1).)*%[bB]\b", text):
            found.append(str(path.relative_to(root)))
    assert not found, found
