"""The deployments part of seed_demo: requests made through the services as people would have made
them, each passing its gates for real, idempotent."""

import pytest

from deployments import demo, gates
from deployments.models import AIModel, DeploymentDecision, DeploymentRequest, Environment, ProvisioningJob
from engagements import demo as engagement_demo
from governance import demo as governance_demo
from tenants import demo as tenants_demo
from tenants.isolation import country_context
from tenants.record.models import CountryEvent
from training import demo as training_demo

pytestmark = pytest.mark.django_db


def seed_all():
    """In the order of seed_demo."""
    countries = tenants_demo.seed(say=lambda _: None)
    engagement_demo.seed(countries=countries, say=lambda _: None)
    training_demo.seed(countries=countries, say=lambda _: None)
    governance_demo.seed(countries=countries, say=lambda _: None)
    demo.seed(countries=countries, say=lambda _: None)
    return countries


def test_every_demo_request_was_made_through_the_services_and_passes_its_gates():
    countries = seed_all()
    fr = countries["FR"]
    with country_context(fr):
        requests = {r.title: r for r in DeploymentRequest.objects.select_related("organisation", "requested_by")}
        assert {r.state for r in requests.values()} == {"draft", "submitted", "approved", "active"}
        for item in requests.values():
            # The officer drafted for his own ministry, and everything past a draft passed every gate.
            assert item.requested_by.username == "olivier" and item.organisation.acronym == "MEN"
            if item.state != "draft":
                assert item.submitted_by_id == item.requested_by_id
                assert all(g.ok for g in gates.gates_check(country=fr, request=item)), item.title
        for item in (r for r in requests.values() if r.state in ("approved", "active")):
            assert DeploymentDecision.objects.filter(request=item, decision="approve").exists(), item.title
            assert ProvisioningJob.objects.filter(request=item, kind="provision").exists(), item.title
        approved = next(r for r in requests.values() if r.state == "approved")
        assert ProvisioningJob.objects.get(request=approved).state == "pending"  # the worker's to run
        active = next(r for r in requests.values() if r.state == "active")
        assert ProvisioningJob.objects.get(request=active).state == "done"
        assert Environment.objects.get(request=active).state == "active"
        actions = set(CountryEvent.objects.values_list("action", flat=True))
        assert "deployment.seeded" not in actions
        assert {"deployment.submit", "deployment.approve", "deployment.provisioning_done"} <= actions
    with country_context(countries["KE"]):
        # Kenya's engagement is still in review: its requests wait as drafts.
        assert set(DeploymentRequest.objects.values_list("state", flat=True)) == {"draft"}
        assert not CountryEvent.objects.filter(action="deployment.seeded").exists()


def test_the_seed_is_idempotent():
    countries = seed_all()
    before = AIModel.objects.count(), _count(countries)
    demo.seed(countries=countries, say=lambda _: None)
    training_demo.seed(countries=countries, say=lambda _: None)
    assert (AIModel.objects.count(), _count(countries)) == before


def _count(countries):
    with country_context(*countries.values()):
        return DeploymentRequest.objects.count()
