"""Deadline notices: an impact assessment near its review date and an incident near its reporting
deadline put a notice in the portal for the people who must act (and an email), through the
outbox and a real worker; the notice is marked done when someone acts (review recorded, assessment
superseded, incident reported). Nobody else sees it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from governance import incidents, reminders, services
from governance.models import ImpactAssessment
from governance.tasks import country_reminders_send
from tenants.isolation import country_context
from tenants.jobs.outbox import outbox_enqueue
from tenants.notifications.models import Notification
from tests.conftest import wait_for

from .helpers import HIGH, act, actions, completed_assessment


def due_for_review(cast, *, days: int = 5, user=None) -> ImpactAssessment:
    assessment = completed_assessment(cast, user=user or cast.member)
    with country_context(cast.fr):
        # The review date as it would stand a year after completion, moved near.
        ImpactAssessment.objects.filter(pk=assessment.pk).update(review_by=timezone.localdate() + timedelta(days=days))
        return ImpactAssessment.objects.get(pk=assessment.pk)


def incident_near_deadline(cast):
    return incidents.incident_report(
        country=cast.fr,
        title="Wrong benefit refusals",
        severity="serious",
        description="Mme X was refused twice.",
        people_affected=12,
        deployment_reference="DEP-7",
        detected_at=timezone.now() - timedelta(days=13),
        **act(cast.member),
    )


def notices(cast, url: str) -> list[Notification]:
    with country_context([cast.fr.pk, cast.ke.pk]):
        return list(Notification.objects.filter(url=url).select_related("user").order_by("user__username"))


@pytest.mark.django_db
def test_a_completed_assessment_has_a_review_date_a_year_on(cast):
    assessment = completed_assessment(cast)
    assert assessment.review_by == timezone.localdate() + timedelta(days=365)


@pytest.mark.django_db
def test_review_notices_go_to_the_author_and_the_country_admins_once(cast):
    assessment = due_for_review(cast)
    completed_assessment(cast, title="Far from review")  # due in a year: nothing yet
    assert reminders.assessment_review_reminders_send(country_id=cast.fr.pk) == 1
    url = f"/c/fr/governance/assessments/{assessment.pk}/"
    sent = notices(cast, url)
    assert sorted(n.user.username for n in sent) == sorted([cast.member.username, cast.owner.username])
    assert all("Tax form assistant" in n.subject and n.read_at is None for n in sent)
    assert reminders.assessment_review_reminders_send(country_id=cast.fr.pk) == 0
    assert actions(cast.fr)[-1] == "assessment.review_reminder_sent"
    with country_context(cast.fr):
        assert Notification.objects.filter(user__in=[cast.viewer, cast.outsider, cast.auditor]).count() == 0


@pytest.mark.django_db
def test_recording_the_review_marks_the_notices_done_and_moves_the_date(client, cast):
    assessment = due_for_review(cast)
    reminders.assessment_review_reminders_send(country_id=cast.fr.pk)
    url = f"/c/fr/governance/assessments/{assessment.pk}/"
    client.force_login(cast.owner)
    page = client.get(url).content.decode()
    assert "It still describes the use: record the review" in page
    # The notice is on the owner's notifications page, linking to the assessment.
    assert f'href="{url}"' in client.get("/notifications/").content.decode()
    response = client.post(url, {"action": "reviewed"})
    assert response.status_code == 302
    assert all(n.read_at is not None for n in notices(cast, url))
    with country_context(cast.fr):
        reviewed = ImpactAssessment.objects.get(pk=assessment.pk)
    assert reviewed.review_by == timezone.localdate() + timedelta(days=365)
    assert reviewed.reviewed_at is not None and reviewed.review_reminded_at is None
    assert actions(cast.fr)[-1] == "assessment.reviewed"
    # A year away again: no new notice.
    assert reminders.assessment_review_reminders_send(country_id=cast.fr.pk) == 0


@pytest.mark.django_db
def test_who_may_record_a_review(client, cast):
    assessment = due_for_review(cast)
    url = f"/c/fr/governance/assessments/{assessment.pk}/"
    before = actions(cast.fr)
    client.force_login(cast.viewer)
    assert client.post(url, {"action": "reviewed"}).status_code == 403
    client.force_login(cast.outsider)
    assert client.post(url, {"action": "reviewed"}).status_code == 404
    client.logout()
    response = client.post(url, {"action": "reviewed"})
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert actions(cast.fr) == before
    client.force_login(cast.member)
    assert client.post(url, {"action": "reviewed"}).status_code == 302
    assert actions(cast.fr)[-1] == "assessment.reviewed"


@pytest.mark.django_db
def test_a_superseded_assessment_can_no_longer_be_reviewed_and_its_notices_are_done(client, cast):
    assessment = due_for_review(cast)
    reminders.assessment_review_reminders_send(country_id=cast.fr.pk)
    url = f"/c/fr/governance/assessments/{assessment.pk}/"
    new = services.assessment_create(
        country=cast.fr, title="Tax form assistant, again", answers=HIGH, supersedes=assessment, **act(cast.member)
    )
    services.assessment_complete(assessment=new, **act(cast.member))
    assert all(n.read_at is not None for n in notices(cast, url))
    client.force_login(cast.owner)
    before = actions(cast.fr)
    response = client.post(url, {"action": "reviewed"}, follow=True)
    assert "Only a completed assessment that is still in force can be reviewed" in response.content.decode()
    assert "It still describes the use: record the review" not in response.content.decode()
    assert actions(cast.fr) == before


@pytest.mark.django_db
def test_incident_notices_go_to_the_country_admins_and_are_done_when_reported(cast):
    incident = incident_near_deadline(cast)
    assert reminders.incident_reminders_send(country_id=cast.fr.pk) == 1
    url = f"/c/fr/governance/incidents/{incident.pk}/"
    sent = notices(cast, url)
    assert [n.user.username for n in sent] == [cast.owner.username]
    assert "Wrong benefit refusals" in sent[0].subject and "Mme X" not in sent[0].body
    incidents.incident_mark_reported(incident=incident, **act(cast.member))
    assert all(n.read_at is not None for n in notices(cast, url))


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_notices_appear_through_the_outbox_and_the_worker_and_clear_when_acted_on(celery_worker_process, cast):
    assessment = due_for_review(cast)
    incident = incident_near_deadline(cast)
    assessment_url = f"/c/fr/governance/assessments/{assessment.pk}/"
    incident_url = f"/c/fr/governance/incidents/{incident.pk}/"
    with transaction.atomic(), country_context(cast.fr):
        outbox_enqueue(task=country_reminders_send.name, country_id=cast.fr.pk)
    # The commit published the job; the worker ran the country's reminders.
    wait_for(lambda: len(notices(cast, assessment_url)) == 2 and len(notices(cast, incident_url)) == 1, timeout=60)
    assert {n.user_id for n in notices(cast, assessment_url)} == {cast.owner.pk, cast.member.pk}
    incidents.incident_mark_reported(incident=incident, **act(cast.owner))
    services.assessment_review_record(assessment=assessment, **act(cast.owner))
    assert all(n.read_at is not None for n in notices(cast, incident_url) + notices(cast, assessment_url))
