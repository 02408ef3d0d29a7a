"""The deployments part of seed_demo: the catalogue and requests in several states, idempotent."""

import pytest

from deployments import demo
from deployments.models import AIModel, DeploymentRequest, Environment
from engagements import demo as engagement_demo
from governance import demo as governance_demo
from tenants import demo as tenants_demo
from tenants.isolation import country_context

pytestmark = pytest.mark.django_db


def test_seed_gives_fr_and_ke_requests_in_several_states_and_is_idempotent():
    countries = tenants_demo.seed(say=lambda _: None)
    engagement_demo.seed(countries=countries, say=lambda _: None)
    governance_demo.seed(countries=countries, say=lambda _: None)
    demo.seed(countries=countries, say=lambda _: None)
    for code in ("FR", "KE"):
        with country_context(countries[code]):
            states = set(DeploymentRequest.objects.values_list("state", flat=True))
            assert {"draft", "submitted", "active"} <= states, code
            assert Environment.objects.filter(state="active").exists(), code
    with country_context(countries["FR"]):
        assert "approved" in set(DeploymentRequest.objects.values_list("state", flat=True))
    before = AIModel.objects.count(), _count(countries)
    demo.seed(countries=countries, say=lambda _: None)
    assert (AIModel.objects.count(), _count(countries)) == before


def _count(countries):
    with country_context(*countries.values()):
        return DeploymentRequest.objects.count()
