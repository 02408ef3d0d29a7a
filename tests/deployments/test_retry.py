"""A job that stopped is tried again by the country's admin or its partner manager, from the
request's page: a new job, through the outbox, from the first step; the stopped one stays on the
record. Nobody else may, and there is nothing to try again while the last job has not stopped."""

from __future__ import annotations

import pytest

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
