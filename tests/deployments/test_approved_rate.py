"""The rate limit is one of an approval's conditions: the approving partner manager sees it (the
last approval's, else the default) and sets it, checked (a whole number of calls a minute, from 1 to
10,000); it is kept on the request, named in the approval's event with the other conditions,
carried into the environment the approval provisions and the policy the gateway enforces, and shown
to everyone who reads the request and its environment. A rate refused changes nothing."""

from __future__ import annotations

import pytest

from deployments import policy, provisioning, services
from deployments.models import DeploymentDecision, DeploymentRequest, Environment, ProvisioningJob
from tenants.isolation import country_context
from tenants.record.models import CountryEvent
from tests.deployments.conftest import act, draft
from tests.languages.pseudo import visible_text

pytestmark = pytest.mark.django_db
REFUSED = "The rate limit is a whole number of calls a minute, from 1 to 10,000."


def words(response) -> str:
    return " ".join(visible_text(response.content.decode()).split())


def submitted(cast, ready, **change) -> DeploymentRequest:
    return services.deployment_request_transition(
        request=draft(cast, ready, **change), action="submit", **act(cast.member)
    )


def provisioned(cast, item) -> Environment:
    with country_context(cast.fr):
        job = ProvisioningJob.objects.get(request=item)
    provisioning.provisioning_run(country_id=cast.fr.pk, job_id=job.pk)
    with country_context(cast.fr):
        return Environment.objects.get(request=item)


def unchanged(cast, item) -> tuple:
    with country_context(cast.fr):
        row = DeploymentRequest.objects.get(pk=item.pk)
        return (
            row.state,
            row.requests_per_minute,
            row.quota_tokens,
            DeploymentDecision.objects.count(),
            CountryEvent.objects.count(),
            ProvisioningJob.objects.count(),
        )


def test_the_approver_sees_the_rate_and_sets_it(client, cast, ready):
    item = submitted(cast, ready)
    client.force_login(cast.partner)
    page = client.get(f"/c/fr/deployments/{item.pk}/")
    html, text = page.content.decode(), words(page)
    assert (
        "Rate limit (calls a minute) From 1 to 10,000: the gateway refuses the environment's calls beyond it." in text
    )
    assert 'name="requests_per_minute"' in html and 'value="600"' in html
    response = client.post(
        f"/c/fr/deployments/{item.pk}/approve/", {"quota_tokens": "4000", "requests_per_minute": "120"}
    )
    assert response.status_code == 302
    with country_context(cast.fr):
        kept = DeploymentRequest.objects.get(pk=item.pk)
        approval = CountryEvent.objects.get(action="deployment.approve")
    assert (kept.state, kept.requests_per_minute, kept.quota_tokens) == ("approved", 120, 4000)
    assert approval.payload["conditions"]["requests_per_minute"] == 120
    assert approval.payload["conditions"]["monthly_quota"] == 4000

    # Carried into the environment, and into the policy the gateway enforces.
    environment = provisioned(cast, item)
    assert environment.requests_per_minute == 120
    with country_context(cast.fr):
        built = policy.policy_build(environment=environment, request=environment.request, version=1)
    assert built.requests_per_minute == 120

    # Everyone who reads the request and its environment reads the same rate.
    for who in ("partner", "owner", "member", "viewer", "auditor"):
        client.force_login(getattr(cast, who))
        request_page = client.get(f"/c/fr/deployments/{item.pk}/")
        assert "Quota 4,000 tokens a month; at most 120 calls a minute" in words(request_page), who
        environment_page = client.get(f"/c/fr/deployments/environments/{environment.pk}/")
        assert environment_page.status_code == 200, who
        assert "Conditions At most 120 calls a minute." in words(environment_page), who
    client.force_login(cast.outsider)
    assert client.get(f"/c/fr/deployments/environments/{environment.pk}/").status_code == 404


def test_an_approval_without_a_rate_keeps_the_default(cast, ready):
    item = services.deployment_request_transition(request=submitted(cast, ready), action="approve", **act(cast.partner))
    assert item.requests_per_minute == 600
    with country_context(cast.fr):
        assert CountryEvent.objects.get(action="deployment.approve").payload["conditions"]["requests_per_minute"] == 600
    assert provisioned(cast, item).requests_per_minute == 600


def test_the_second_approval_sees_and_keeps_the_firsts_rate(client, cast, ready):
    from tests.engagements.test_services import second_fr_partner

    item = submitted(cast, ready, assessment_id=ready.high_assessment.pk)
    services.deployment_request_transition(request=item, action="approve", **act(cast.partner), requests_per_minute=45)
    second = second_fr_partner(cast)
    client.force_login(second)
    assert 'id="requests_per_minute" name="requests_per_minute" type="text" inputmode="numeric" value="45"' in (
        client.get(f"/c/fr/deployments/{item.pk}/").content.decode()
    )
    assert client.post(f"/c/fr/deployments/{item.pk}/approve/", {"requests_per_minute": ""}).status_code == 302
    with country_context(cast.fr):
        kept = DeploymentRequest.objects.get(pk=item.pk)
        conditions = [e.payload["conditions"] for e in CountryEvent.objects.filter(action="deployment.approve")]
    assert (kept.state, kept.requests_per_minute) == ("approved", 45)
    assert [c["requests_per_minute"] for c in conditions] == [45, 45]


@pytest.mark.parametrize("value", ["0", "-5", "10001", "many", "1.5", "99999999999999999999"])
def test_a_rate_out_of_bounds_is_refused_on_the_page_and_changes_nothing(client, cast, ready, value):
    item = submitted(cast, ready)
    before = unchanged(cast, item)
    client.force_login(cast.partner)
    response = client.post(f"/c/fr/deployments/{item.pk}/approve/", {"requests_per_minute": value})
    assert response.status_code == 400
    text = words(response)
    assert "There is a problem" in text and REFUSED in text
    assert f'value="{value}"' in response.content.decode()  # what they typed, to put right
    assert unchanged(cast, item) == before


@pytest.mark.parametrize("value", [0, -5, 10_001, "many", True, 1.5])
def test_a_rate_out_of_bounds_is_refused_by_the_api_and_changes_nothing(client, cast, ready, value):
    item = submitted(cast, ready)
    before = unchanged(cast, item)
    client.force_login(cast.partner)
    response = client.post(
        f"/api/v1/countries/FR/deployment-requests/{item.pk}/approve/",
        {"requests_per_minute": value},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["requests_per_minute"]
    assert unchanged(cast, item) == before


def test_the_service_refuses_what_a_form_would_not_send(cast, ready):
    item = submitted(cast, ready)
    before = unchanged(cast, item)
    for value in (0, 10_001, True, "60"):
        with pytest.raises(services.ServiceError) as refused:
            services.deployment_request_transition(
                request=item, action="approve", **act(cast.partner), requests_per_minute=value
            )
        assert refused.value.field == "requests_per_minute" and refused.value.message == REFUSED
    assert unchanged(cast, item) == before


def test_the_api_sets_and_shows_the_rate(client, cast, ready):
    item = submitted(cast, ready)
    client.force_login(cast.partner)
    response = client.post(
        f"/api/v1/countries/FR/deployment-requests/{item.pk}/approve/",
        {"requests_per_minute": 10_000},
        content_type="application/json",
    )
    assert response.status_code == 200 and response.json()["requests_per_minute"] == 10_000
    environment = provisioned(cast, item)
    client.force_login(cast.owner)
    assert client.get(f"/api/v1/countries/FR/environments/{environment.pk}/").json()["requests_per_minute"] == 10_000
    listed = client.get("/api/v1/countries/FR/deployment-requests/").json()["results"]
    assert [r["requests_per_minute"] for r in listed] == [10_000]


def test_the_rate_reads_in_the_readers_language(client, cast, ready):
    item = submitted(cast, ready)
    services.deployment_request_transition(
        request=item, action="approve", **act(cast.partner), requests_per_minute=2500
    )
    from tenants.languages.models import Preferences

    Preferences.objects.filter(user=cast.owner).update(language="fr")
    client.force_login(cast.owner)
    text = words(client.get(f"/c/fr/deployments/{item.pk}/")).replace("\u202f", " ").replace("\xa0", " ")
    assert "au plus 2 500 appels par minute" in text
