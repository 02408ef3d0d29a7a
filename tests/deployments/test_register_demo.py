"""The register's part of seed_demo: France publishes an entry (two versions) and drafts another for
a high-risk deployment made active through the services, and running it again changes nothing."""

import pytest
from django.core.management import call_command

from deployments.models import DeploymentRequest
from deployments.register.models import RegisterEntry, RegisterVersion
from tenants.isolation import country_context
from tenants.models import Country
from tenants.record.models import CountryEvent

pytestmark = pytest.mark.django_db


def snapshot(fr):
    with country_context(fr):
        return (
            sorted(RegisterEntry.objects.values_list("state", "public_name")),
            RegisterVersion.objects.count(),
            CountryEvent.objects.filter(action__startswith="register.").count(),
            DeploymentRequest.objects.count(),
        )


def test_france_publishes_its_register_through_the_services_and_again_changes_nothing():
    call_command("seed_demo", force=True, stdout=open("/dev/null", "w"))
    fr = Country.objects.get(code="FR")
    with country_context(fr):
        published = RegisterEntry.objects.get(state="published")
        assert published.public_name == "Assistant de remplissage des formulaires fiscaux"
        assert list(published.versions.order_by("number").values_list("number", "status")) == [
            (1, "superseded"),
            (2, "published"),
        ]
        current = published.versions.get(status="published")
        assert current.drawn["model"]["name"] == "Aurora Large" and current.language == "fr"
        draft = RegisterEntry.objects.get(state="draft")
        high = DeploymentRequest.objects.get(pk=draft.request_id)
        assert (high.state, high.risk_category, high.human_review_required) == ("active", "high_risk", True)
        actions = list(CountryEvent.objects.filter(action__startswith="register.").values_list("action", flat=True))
    assert actions.count("register.published") == 2 and "register.drafted" in actions
    before = snapshot(fr)
    call_command("seed_demo", force=True, stdout=open("/dev/null", "w"))
    assert snapshot(fr) == before
