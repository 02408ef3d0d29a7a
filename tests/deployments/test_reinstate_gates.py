"""Reinstating a suspended deployment runs the gates its approval ran: while one fails (here the
country's engagement, suspended since), neither the API nor the request's page reinstates it, each
says why, and nothing changes; once the engagement is reinstated, so is the deployment."""

from __future__ import annotations

import pytest

from deployments.models import DeploymentMove, DeploymentRequest, Environment
from engagements.models import Engagement
from tenants.isolation import country_context
from tenants.record.models import CountryEvent
from tests.deployments.test_views import active, as_user

pytestmark = pytest.mark.django_db
API = "/api/v1/countries/FR"


def states(cast, item) -> tuple[str, str, int, int]:
    with country_context(cast.fr):
        return (
            DeploymentRequest.objects.get(pk=item.pk).state,
            Environment.objects.get(request=item).state,
            DeploymentMove.objects.filter(request=item, action="reinstate").count(),
            CountryEvent.objects.filter(action="deployment.reinstate").count(),
        )


def test_a_deployment_is_not_reinstated_past_a_failing_gate(client, cast, ready):
    item, environment = active(cast, ready)
    with country_context(cast.fr):
        engagement = Engagement.objects.get(country=cast.fr)
    as_user(client, cast.partner)
    environment_url = f"{API}/environments/{environment.pk}/"
    response = client.post(environment_url + "suspend/", {"comment": "Audit finding"}, content_type="application/json")
    assert response.status_code == 200 and response.json()["state"] == "suspended"
    response = client.post(
        f"{API}/engagements/{engagement.pk}/suspend/",
        {"comment": "Terms under review"},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content

    response = client.post(environment_url + "reinstate/", {}, content_type="application/json")
    assert response.status_code == 400, response.content
    message = response.json()["detail"] if "detail" in response.json() else str(response.json())
    assert "cannot be reinstated" in message and "has no active engagement" in message, message
    assert states(cast, item) == ("suspended", "suspended", 0, 0)

    page = client.post(f"/c/fr/deployments/{item.pk}/reinstate/", {"comment": ""})
    assert page.status_code == 400
    assert "cannot be reinstated" in page.content.decode() and "has no active engagement" in page.content.decode()
    assert states(cast, item) == ("suspended", "suspended", 0, 0)

    response = client.post(f"{API}/engagements/{engagement.pk}/reinstate/", {}, content_type="application/json")
    assert response.status_code == 200, response.content
    response = client.post(environment_url + "reinstate/", {}, content_type="application/json")
    assert response.status_code == 200 and response.json()["state"] == "active"
    assert states(cast, item) == ("active", "active", 1, 1)
