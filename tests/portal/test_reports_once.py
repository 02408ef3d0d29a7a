"""One compliance report of a kind, period and headings is built at a time: a second request while
the first waits or is being built is refused, page and API, naming the one under way and changing
nothing; two requests at once give one report; once the first is done, the same report may be asked
for again."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from portal.models import ComplianceReport
from portal.reports import services
from tenants.access import access_for
from tenants.isolation import country_context
from tenants.languages.headings import KEYS
from tests.portal.test_reports_access import API, PAGE, actions

BODY = {"period_start": "2026-01-01", "period_end": "2026-03-31"}


def reports(country) -> list[ComplianceReport]:
    with country_context(country):
        return list(ComplianceReport.objects.order_by("pk"))


@pytest.mark.django_db
def test_the_api_refuses_a_second_request_and_gives_the_one_under_way(client, cast):
    client.force_login(cast.auditor)
    first = client.post(API.format(code="FR"), BODY, content_type="application/json")
    assert first.status_code == 202, first.content
    before = actions(cast.fr)
    second = client.post(API.format(code="FR"), BODY, content_type="application/json")
    assert second.status_code == 400
    body = second.json()
    assert "already being built" in body["detail"] and f"report {first.json()['id']}" in body["detail"]
    assert body["report"]["id"] == first.json()["id"] and body["report"]["state"] == "pending"
    assert [r.pk for r in reports(cast.fr)] == [first.json()["id"]]
    assert actions(cast.fr) == before

    # Another kind, or another period, is another report.
    other = client.post(API.format(code="FR"), {**BODY, "kind": "ledger"}, content_type="application/json")
    assert other.status_code == 202, other.content


@pytest.mark.django_db
def test_the_page_refuses_a_second_request_on_the_form_and_changes_nothing(client, cast):
    client.force_login(cast.partner)
    data = {"kind": "pack", **BODY}
    assert client.post(PAGE.format(code="fr"), data).status_code == 302
    (report,) = reports(cast.fr)
    before = actions(cast.fr)
    response = client.post(PAGE.format(code="fr"), data)
    assert response.status_code == 400
    assert b"There is a problem" in response.content and b"already being built" in response.content
    assert f"report {report.pk}".encode() in response.content
    assert reports(cast.fr) == [report] and actions(cast.fr) == before


@pytest.mark.django_db
def test_a_finished_report_may_be_asked_for_again(cast):
    access = access_for(cast.auditor)
    fields = {"country": cast.fr, "access": access, "by": cast.auditor, "headings": KEYS}
    today = services.timezone.localdate()
    first = services.report_request(**fields, period_start=today, period_end=today)
    with pytest.raises(services.ReportUnderWay):
        services.report_request(**fields, period_start=first.period_start, period_end=first.period_end)
    with country_context(cast.fr):
        ComplianceReport.objects.filter(pk=first.pk).update(state=ComplianceReport.State.FAILED)
    again = services.report_request(**fields, period_start=first.period_start, period_end=first.period_end)
    assert again.pk != first.pk


@pytest.mark.django_db(transaction=True)
def test_two_requests_at_once_give_one_report(cast):
    access = access_for(cast.auditor)
    barrier = threading.Barrier(2)
    outcomes: list[object] = []

    def ask() -> None:
        try:
            barrier.wait()
            report = services.report_request(
                country=cast.fr,
                access=access,
                by=cast.auditor,
                period_start=services.dt.date(2026, 1, 1),
                period_end=services.dt.date(2026, 3, 31),
            )
            outcomes.append(report.pk)
        except BaseException as error:  # noqa: BLE001 - looked at below
            outcomes.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=ask) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    made = [o for o in outcomes if isinstance(o, int)]
    refused = [o for o in outcomes if isinstance(o, services.ReportUnderWay)]
    assert len(made) == 1 and len(refused) == 1, outcomes
    assert refused[0].report.pk == made[0]
    assert [r.pk for r in reports(cast.fr)] == made
