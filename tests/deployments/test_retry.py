"""A job that stopped is tried again by the country's admin or its partner manager, from the
request's page: a new job, through the outbox, from the first step; the stopped one stays on the
record. Nobody else may, and there is nothing to try again while the last job has not stopped."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from deployments import provisioning, services
from deployments.models import DeploymentRequest, Environment, ProvisioningJob
from engagements.models import Engagement
from tenants.isolation import country_context
from tenants.jobs.models import OutboxMessage
from tenants.record.models import CountryEvent
from tests.deployments.conftest import act, draft

pytestmark = pytest.mark.django_db


def stopped(cast, ready) -> DeploymentRequest:
    """An approved request whose provisioning stopped at the gates (the engagement suspended)."""
    item = services.deployment_request_transition(request=draft(cast, ready), action="submit", **act(cast.member))
    item = services.deployment_request_transition(request=item, action="approve", **act(cast.partner))
    with country_context(cast.fr):
        Engagement.objects.update(state="suspended")
        job = ProvisioningJob.objects.get(request=item)
    assert provisioning.provisioning_run(country_id=cast.fr.pk, job_id=job.pk) == "failed"
    return item


def jobs(cast, item) -> list[tuple[str, str]]:
    with country_context(cast.fr):
        return list(ProvisioningJob.objects.filter(request=item).order_by("pk").values_list("key", "state"))


@pytest.mark.parametrize("who", ["owner", "partner"])
def test_the_admin_or_the_partner_manager_tries_a_stopped_job_again(client, cast, ready, who):
    item = stopped(cast, ready)
    page = f"/c/fr/deployments/{item.pk}/"
    client.force_login(getattr(cast, who))
    assert 'id="retry-job"' in client.get(page).content.decode()
    with country_context(cast.fr):
        Engagement.objects.update(state="active")  # the cause dealt with

    answer = client.post(f"{page}retry/")
    assert (answer.status_code, answer["Location"]) == (302, page)
    (first_key, first_state), (key, state) = jobs(cast, item)
    assert (first_state, state) == ("failed", "pending") and key.endswith(":try2") and key != first_key
    with country_context(cast.fr):
        retry = ProvisioningJob.objects.get(key=key)
        assert OutboxMessage.objects.filter(task="deployments.provisioning_run", kwargs__job_id=retry.pk).exists()
        event = CountryEvent.objects.filter(action="deployment.job_retried").get()
        assert event.payload == {"request": item.pk, "job": retry.pk, "stopped_job": retry.pk - 1, "kind": "provision"}
    # What the worker then does with it: provisioning ends, the request is active.
    assert provisioning.provisioning_run(country_id=cast.fr.pk, job_id=retry.pk) == "done"
    with country_context(cast.fr):
        assert DeploymentRequest.objects.get(pk=item.pk).state == "active"
        assert Environment.objects.filter(request=item).count() == 1
    # Nothing left to try again: a second post is refused and makes no job.
    refused = client.post(f"{page}retry/")
    assert refused.status_code == 400 and "nothing to try again" in refused.content.decode()
    assert len(jobs(cast, item)) == 2


def test_others_cannot_try_it_again(client, cast, ready):
    item = stopped(cast, ready)
    page = f"/c/fr/deployments/{item.pk}/"
    for person, status in ((cast.member, 403), (cast.viewer, 403), (cast.auditor, 403), (cast.outsider, 404)):
        client.force_login(person)
        if status == 403:
            assert 'id="retry-job"' not in client.get(page).content.decode()
        assert client.post(f"{page}retry/").status_code == status, person
    client.logout()
    assert client.post(f"{page}retry/").status_code == 302
    assert client.get(f"{page}retry/").status_code in (302, 405)
    assert [state for _key, state in jobs(cast, item)] == ["failed"]


def test_a_running_or_finished_job_is_not_tried_again(client, cast, ready):
    item = services.deployment_request_transition(request=draft(cast, ready), action="submit", **act(cast.member))
    item = services.deployment_request_transition(request=item, action="approve", **act(cast.partner))
    client.force_login(cast.owner)
    page = f"/c/fr/deployments/{item.pk}/"
    assert 'id="retry-job"' not in client.get(page).content.decode()
    assert client.post(f"{page}retry/").status_code == 400  # pending
    with country_context(cast.fr):
        job = ProvisioningJob.objects.get(request=item)
    assert provisioning.provisioning_run(country_id=cast.fr.pk, job_id=job.pk) == "done"
    assert client.post(f"{page}retry/").status_code == 400  # done
    assert len(jobs(cast, item)) == 1


def test_the_api_tries_it_again_and_names_it_among_the_actions(client, cast, ready):
    item = stopped(cast, ready)
    url = f"/api/v1/countries/FR/deployment-requests/{item.pk}/"
    client.force_login(cast.member)
    assert "retry" not in client.get(url).json()["actions"]
    assert client.post(f"{url}retry/").status_code == 403
    client.force_login(cast.partner)
    assert "retry" in client.get(url).json()["actions"]
    with country_context(cast.fr):
        Engagement.objects.update(state="active")
    answer = client.post(f"{url}retry/")
    assert answer.status_code == 200
    assert answer.json()["provisioning"]["state"] == "pending" and "retry" not in answer.json()["actions"]
    refused = client.post(f"{url}retry/")
    assert refused.status_code == 400 and "nothing to try again" in refused.json()["detail"]
    client.force_login(cast.outsider)
    assert client.post(f"{url}retry/").status_code == 404
    assert [state for _key, state in jobs(cast, item)] == ["failed", "pending"]


def stranded(cast, ready, *, moved_ago: timedelta, handed_ago: timedelta) -> tuple[DeploymentRequest, int]:
    """An approved request whose job a worker began, then died in with its message (the whole
    worker killed: the broker would hold the message until its visibility timeout, six hours)."""
    item = services.deployment_request_transition(request=draft(cast, ready), action="submit", **act(cast.member))
    item = services.deployment_request_transition(request=item, action="approve", **act(cast.partner))
    now = timezone.now()
    with country_context(cast.fr):
        job = ProvisioningJob.objects.get(request=item)
        job.steps[0]["done_at"] = (now - moved_ago).isoformat()
        job.state, job.started_at, job.attempts = "running", now - moved_ago - timedelta(seconds=1), 1
        job.created_at = now - handed_ago
        job.save()
        handed = OutboxMessage.objects.filter(task="deployments.provisioning_run", kwargs__job_id=job.pk)
        handed.update(created_at=now - handed_ago, published_at=now - handed_ago)
    return item, job.pk


def test_a_stranded_job_is_run_again_within_minutes_with_backoff_then_ends_failed_and_said(client, cast, ready):
    from tenants.jobs.sweep import TIMED_OUT, jobs_sweep
    from tenants.notifications.models import Notification

    item, job_id = stranded(cast, ready, moved_ago=timedelta(minutes=3), handed_ago=timedelta(minutes=20))
    start = timezone.now()

    def sweep(minutes: float) -> dict:
        """The sweep (beat, every minute) at `minutes` from now; its re-drive handed over then."""
        at = start + timedelta(minutes=minutes)
        found = jobs_sweep(now=at)
        with country_context(cast.fr):
            OutboxMessage.objects.filter(published_at__isnull=True).update(created_at=at, published_at=at)
        return found

    assert sweep(0) == {"redriven": 0, "failed": 0}  # a step done three minutes ago: it may still run
    assert sweep(3.5) == {"redriven": 1, "failed": 0}  # still for six minutes: handed over again
    # Each further chance waits twice as long as the one before: 12 minutes, then 24.
    assert [sweep(minutes)["redriven"] for minutes in (15, 16, 39, 41)] == [0, 1, 0, 1]
    with country_context(cast.fr):
        redrives = OutboxMessage.objects.filter(task="deployments.provisioning_run", kwargs__job_id=job_id)
        assert redrives.count() == 4  # the first hand-over and three re-drives
        assert ProvisioningJob.objects.get(pk=job_id).state == "running"
    assert sweep(64) == {"redriven": 0, "failed": 0}
    assert sweep(66) == {"redriven": 0, "failed": 1}  # the last chance spent: a clear failure

    with country_context(cast.fr):
        job = ProvisioningJob.objects.get(pk=job_id)
        assert (job.state, job.error) == ("failed", TIMED_OUT) and job.finished_at is not None
        event = CountryEvent.objects.get(action="deployment.provisioning_failed")
        assert event.payload == {
            "request": item.pk,
            "job": job_id,
            "kind": "provision",
            "step": "environment",
            "timed_out": True,
        }
        told = Notification.objects.filter(user=cast.member, url=f"/c/fr/deployments/{item.pk}/")
        subjects = [notice.subject for notice in told]
    assert any("provisioning of a deployment stopped" in subject for subject in subjects), subjects
    client.force_login(cast.member)  # who asked
    page = client.get(f"/c/fr/deployments/{item.pk}/").content.decode()
    assert "the job did not finish after several attempts" in page
    client.force_login(cast.owner)
    page = client.get(f"/c/fr/deployments/{item.pk}/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert 'id="retry-job"' in page
    assert client.post(f"/c/fr/deployments/{item.pk}/retry/").status_code == 302
    assert [state for _key, state in jobs(cast, item)] == ["failed", "pending"]
    assert jobs_sweep() == {"redriven": 0, "failed": 0}  # the failed job is left alone, the new one is young
