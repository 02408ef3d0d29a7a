"""The PDF summary of a compliance pack is for a person: every row is wrapped to the page, never
cut, and every heading and every code (a state, a sector, a region, a role, an action of the record,
the report's kind) is shown in the reader's words; the CSV files keep the codes."""

from __future__ import annotations

import datetime as dt

import pypdfium2
import pytest
from django.utils import timezone

from deployments import services
from portal.reports.pdf import report_pdf
from portal.reports.sections import Period, sections_read
from portal.reports.values import SHOWN
from tenants.isolation import country_context
from tests.deployments.conftest import act, draft, ready  # noqa: F401 (ready: a fixture)

pytestmark = pytest.mark.django_db
TITLE = (
    "Drafting replies to citizens' letters about housing benefits, with a summary of each case for the officer "
    "who signs the answer, in French and in Arabic"
)


def pdf_text(pdf: bytes) -> str:
    document = pypdfium2.PdfDocument(pdf)
    try:
        text = "\n".join(document[i].get_textpage().get_text_range() for i in range(len(document)))
    finally:
        document.close()
    return " ".join(text.split())


def _summary(cast, language: str) -> str:
    today = timezone.localdate()
    sections, absent = sections_read(country=cast.fr, period=Period(today - dt.timedelta(days=30), today))
    header = {
        "country": "FR",
        "country_name": "France",
        "period_start": str(today - dt.timedelta(days=30)),
        "period_end": str(today),
        "kind": "pack",
        "generated_at": timezone.now().replace(microsecond=0).isoformat(),
        "absent_sections": absent,
    }
    return pdf_text(report_pdf(header=header, sections=sections, language=language))


def test_rows_are_wrapped_not_cut_and_codes_read_as_words(cast, ready):  # noqa: F811
    item = draft(cast, ready, title=TITLE)
    services.deployment_request_transition(request=item, action="submit", **act(cast.member))
    services.deployment_request_transition(
        request=item, action="approve", quota_tokens=150_000, requests_per_minute=42, **act(cast.partner)
    )
    with country_context(cast.fr):
        item.refresh_from_db()
    text = _summary(cast, "en")
    assert TITLE in text  # whole, over several lines
    assert "Kind: Country compliance pack" in text or "kind: Country compliance pack" in text
    assert "Deployment request ID: " in text and "Rate limit (calls a minute): 42" in text
    assert f"Sector: {item.get_sector_display()}" in text and f"State: {item.get_state_display()}" in text
    assert f"Region: {item.get_region_display()}" in text
    assert f"Data classification: {item.get_data_classification_display()}" in text
    for code in ("request_id", "data_classification", f": {item.state} ", f": {item.sector} ", f": {item.region} "):
        assert code not in text, code
    assert "deployment.approved" not in text and "Recorded action" not in text  # the record's actions in words

    # In the reader's language: the headings and the labels of the codes both.
    french = _summary(cast, "fr")
    assert "type : Dossier de conformité du pays" in french and "Limite de débit (appels par minute) : 42" in french
    assert "Secteur : " in french and "Services publics" in french


def test_every_code_column_of_the_summary_names_a_column_of_its_section(cast, ready):  # noqa: F811
    """A column the summary puts in words is one its section has: a renamed column is not left in code."""
    today = timezone.localdate()
    sections, _absent = sections_read(country=cast.fr, period=Period(today - dt.timedelta(days=30), today))
    columns = {(s.name, c) for s in sections for c in s.columns}
    assert set(SHOWN) <= columns, set(SHOWN) - columns
