"""Incidents: deadlines by severity, the lifecycle, sealed text, refusals and reminders."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.utils import timezone

from governance import incidents, reminders
from governance.models import Incident
from tenants.errors import NotAllowed, ServiceError
from tenants.isolation import country_context
from tests.conftest import deliver_mail

from .helpers import act, actions, completed_assessment

pytestmark = pytest.mark.django_db


def report(cast, **changes):
    data = {
        "title": "Wrong benefit refusals",
        "severity": "serious",
        "description": "Mme X was refused twice.",
        "people_affected": 12,
        "deployment_reference": "DEP-7",
    }
    data.update(changes)
    return incidents.incident_report(country=cast.fr, **data, **act(cast.member))


@pytest.mark.parametrize("severity, days", [("serious", 15), ("major", 30), ("minor", 90)])
def test_deadline_by_severity(cast, severity, days):
    detected = timezone.now() - timedelta(days=2)
    incident = report(cast, severity=severity, detected_at=detected)
    assert incident.report_due_at == detected + timedelta(days=days)
    assert not incident.overdue
    assert actions(cast.fr)[-1] == "incident.reported"


def test_overdue(cast):
    incident = report(cast, detected_at=timezone.now() - timedelta(days=16))
    assert incident.overdue


def test_lifecycle(cast):
    incident = report(cast)
    seen = []
    for _ in range(3):
        incident = incidents.incident_advance(incident=incident, steps_taken="Model rolled back.", **act(cast.member))
        seen.append(incident.status)
    assert seen == ["investigating", "resolved", "closed"]
    with pytest.raises(ServiceError, match="closed"):
        incidents.incident_advance(incident=incident, **act(cast.member))
    assert actions(cast.fr)[-3:] == ["incident.status_changed"] * 3


def test_description_and_steps_are_sealed(cast):
    incident = report(cast, steps_taken="Called Mme X.")
    with connection.cursor() as cursor, country_context(cast.fr):
        cursor.execute("SELECT description, steps_taken FROM governance_incident WHERE id = %s", [incident.pk])
        description, steps = cursor.fetchone()
    assert "Mme X" not in description and "Mme X" not in steps
    with country_context(cast.fr):
        fresh = Incident.objects.get(pk=incident.pk)
        assert (fresh.description, fresh.steps_taken) == ("Mme X was refused twice.", "Called Mme X.")


def test_against_an_assessed_use(cast):
    assessment = completed_assessment(cast)
    incident = report(cast, deployment_reference="", assessment=assessment)
    assert incident.assessment_id == assessment.pk
    kenyan = completed_assessment(cast, user=cast.outsider, country=cast.ke)
    with pytest.raises(ServiceError):
        report(cast, deployment_reference="", assessment=kenyan)


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"severity": "apocalyptic"}, "severity"),
        ({"title": ""}, "title"),
        ({"description": "  "}, "description"),
        ({"people_affected": -1}, "people_affected"),
        ({"deployment_reference": ""}, "deployment_reference"),
        ({"detected_at": timezone.now() + timedelta(days=1)}, "detected_at"),
    ],
)
def test_refusals_change_nothing(cast, changes, field):
    with pytest.raises(ServiceError) as caught:
        report(cast, **changes)
    assert caught.value.field == field
    with country_context(cast.fr):
        assert not Incident.objects.exists()


def test_only_writers_report(cast):
    for user in (cast.viewer, cast.outsider):
        with pytest.raises(NotAllowed):
            incidents.incident_report(
                country=cast.fr, title="x", severity="minor", description="x", deployment_reference="D", **act(user)
            )


def test_reminders_near_the_deadline_go_to_country_admins_once(cast):
    near = report(cast, detected_at=timezone.now() - timedelta(days=13))
    report(cast, severity="minor", title="Far away")
    assert reminders.incident_reminders_send(country_id=cast.fr.pk) == 1
    assert deliver_mail() == 1
    assert [m.to for m in mail.outbox] == [["owner@example.org"]]
    assert "Wrong benefit refusals" in mail.outbox[0].subject
    assert "Mme X" not in mail.outbox[0].body  # the sealed description stays out of email
    assert reminders.incident_reminders_send(country_id=cast.fr.pk) == 0
    with country_context(cast.fr):
        assert Incident.objects.get(pk=near.pk).reminded_at is not None


def test_marking_reported_stops_reminders_and_is_recorded_once(cast):
    incident = report(cast, detected_at=timezone.now() - timedelta(days=16))
    assert incident.overdue
    reported = incidents.incident_mark_reported(incident=incident, **act(cast.member))
    assert reported.reported_at is not None and not reported.overdue
    with pytest.raises(ServiceError, match="already reported"):
        incidents.incident_mark_reported(incident=reported, **act(cast.member))
    assert reminders.incident_reminders_send(country_id=cast.fr.pk) == 0
    assert actions(cast.fr)[-1] == "incident.reported_to_programme"
    with pytest.raises(NotAllowed):
        incidents.incident_mark_reported(incident=incident, **act(cast.viewer))


def test_the_daily_task_runs_the_reminders_of_a_country(cast):
    from governance import tasks

    report(cast, detected_at=timezone.now() - timedelta(days=14))
    assert tasks.country_reminders_send(country_id=cast.fr.pk) == 1
    deliver_mail()
    assert len(mail.outbox) == 1
