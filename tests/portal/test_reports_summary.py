"""The cross-country summary: counts for the caller's assigned countries only, constant queries."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from guardian.shortcuts import assign_perm

from governance.models import ImpactAssessment, Incident
from tenants.access import AUDITOR_PERMISSION
from tenants.isolation import country_context
from tenants.models import Country
from tenants.record.ledger import event_record

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()
COUNTS = {
    "events",
    "incidents",
    "incidents_open",
    "incidents_late",
    "assessments_completed",
    "assessments_high_risk",
    "policies_published",
    "environments_active",
    "requests_waiting",
}
URL = f"/api/v1/compliance-summary/?period_start={TODAY - timedelta(days=7)}&period_end={TODAY}"


@pytest.fixture
def data(cast):
    now = timezone.now()
    with country_context(cast.fr):
        for _ in range(2):
            event_record(country=cast.fr, action="test.fr", payload={})
        ImpactAssessment.objects.create(
            country=cast.fr, title="a", questionnaire_version=1, status="completed", category="high_risk"
        )
        Incident.objects.create(
            country=cast.fr,
            title="i",
            severity="minor",
            description="d",
            steps_taken="",
            report_due_at=now - timedelta(days=1),
        )
    with country_context(cast.ke):
        event_record(country=cast.ke, action="test.ke", payload={})


def test_auditor_gets_counts_for_assigned_countries_only(client, cast, data):
    client.force_login(cast.auditor)
    body = client.get(URL).json()
    assert [row["country"] for row in body["countries"]] == ["FR"]
    assert {key: value for key, value in body["countries"][0].items() if key in COUNTS} == {
        "events": 2,
        "incidents": 1,
        "incidents_open": 1,
        "incidents_late": 1,
        "assessments_completed": 1,
        "assessments_high_risk": 1,
        "policies_published": 0,
        "environments_active": 0,
        "requests_waiting": 0,
    }
    assign_perm(f"tenants.{AUDITOR_PERMISSION}", cast.auditor, cast.ke)
    body = client.get(URL).json()
    assert [(c["country"], c["events"], c["incidents"]) for c in body["countries"]] == [("FR", 2, 1), ("KE", 1, 0)]


@pytest.mark.parametrize("who", ["owner", "member", "outsider"])
def test_people_without_assignments_get_an_empty_summary(client, cast, data, who):
    client.force_login(getattr(cast, who))
    response = client.get(URL)
    assert response.status_code == 200 and response.json()["countries"] == []


def test_anonymous_gets_401_and_bad_periods_400(client, cast):
    assert client.get(URL).status_code == 401
    client.force_login(cast.auditor)
    assert client.get("/api/v1/compliance-summary/").status_code == 400
    response = client.get("/api/v1/compliance-summary/?period_start=2026-05-01&period_end=2026-04-01")
    assert response.status_code == 400 and "after the first day" in str(response.json())


def test_queries_do_not_grow_with_countries(client, cast, data):
    client.force_login(cast.auditor)

    def count():
        client.get(URL)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(URL)
        return len(queries), len(response.json()["countries"])

    small = count()
    for code, name in [("EE", "Estonia"), ("BR", "Brazil"), ("DE", "Germany")]:
        assign_perm(f"tenants.{AUDITOR_PERMISSION}", cast.auditor, Country.objects.create(code=code, name=name))
    large = count()
    assert (small[1], large[1]) == (1, 4)
    assert small[0] == large[0]
