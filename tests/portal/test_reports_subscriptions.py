"""Monthly report subscriptions: subscribe and stop from the page (auditors and partner managers
only, 404 for others), recorded on the ledger; the monthly run requests last month's report once."""

from __future__ import annotations

import datetime as dt

import pytest
from guardian.shortcuts import remove_perm

from portal.models import ComplianceReport, ReportSubscription
from portal.reports.subscriptions import previous_month, subscriptions_run
from tenants.access import AUDITOR_PERMISSION
from tenants.isolation import country_context
from tenants.record.models import CountryEvent

pytestmark = pytest.mark.django_db
URL = "/audit/fr/reports/subscription/"


def subscriptions(country):
    with country_context(country):
        return list(ReportSubscription.objects.values_list("user__username", flat=True))


def test_auditor_subscribes_and_stops(client, cast):
    client.force_login(cast.auditor)
    response = client.post(URL, {"action": "subscribe"})
    assert response.status_code == 302 and response["Location"] == "/audit/fr/reports/"
    assert subscriptions(cast.fr) == ["auditor"]
    page = client.get("/audit/fr/reports/")
    assert b"Stop the monthly report" in page.content
    again = client.post(URL, {"action": "subscribe"})
    assert again.status_code == 400 and b"already receive" in again.content
    assert client.post(URL, {"action": "unsubscribe"}).status_code == 302
    assert subscriptions(cast.fr) == []
    with country_context(cast.fr):
        assert list(CountryEvent.objects.order_by("sequence").values_list("action", flat=True)) == [
            "report.subscribed",
            "report.unsubscribed",
        ]


@pytest.mark.parametrize("who", ["owner", "member", "outsider"])
def test_others_get_404(client, cast, who):
    client.force_login(getattr(cast, who))
    assert client.post(URL, {"action": "subscribe"}).status_code == 404
    assert subscriptions(cast.fr) == []


def test_anonymous_is_sent_to_log_in(client, cast):
    response = client.post(URL, {"action": "subscribe"})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_previous_month():
    assert previous_month(dt.date(2026, 3, 1)) == (dt.date(2026, 2, 1), dt.date(2026, 2, 28))
    assert previous_month(dt.date(2026, 1, 15)) == (dt.date(2025, 12, 1), dt.date(2025, 12, 31))


def test_the_monthly_run_requests_last_month_once_and_skips_people_no_longer_assigned(
    client, cast, django_capture_on_commit_callbacks
):
    client.force_login(cast.auditor)
    client.post(URL, {"action": "subscribe"})
    client.force_login(cast.partner)
    client.post(URL, {"action": "subscribe"})
    remove_perm(f"tenants.{AUDITOR_PERMISSION}", cast.auditor, cast.fr)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert subscriptions_run(today=dt.date(2026, 3, 1)) == 1
        assert subscriptions_run(today=dt.date(2026, 3, 2)) == 0  # same month: nothing again
    assert len(callbacks) == 1
    with country_context(cast.fr):
        report = ComplianceReport.objects.get()
    assert (report.requested_by, report.period_start, report.period_end) == (
        cast.partner,
        dt.date(2026, 2, 1),
        dt.date(2026, 2, 28),
    )
