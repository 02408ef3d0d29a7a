"""The governance part of seed_demo: a believable history per country, and idempotent."""

import pytest

from governance import demo
from governance.models import Acknowledgement, CountryPolicy, ImpactAssessment, Incident, SharedPolicy
from tenants import demo as tenants_demo
from tenants.isolation import country_context

pytestmark = pytest.mark.django_db


def counts(countries):
    with country_context(*countries.values()):
        return (
            CountryPolicy.objects.count(),
            Acknowledgement.objects.count(),
            ImpactAssessment.objects.count(),
            Incident.objects.count(),
            SharedPolicy.objects.count(),
        )


def test_seed_gives_each_country_a_history_and_is_idempotent():
    countries = tenants_demo.seed(say=lambda _: None)
    demo.seed(countries=countries, say=lambda _: None)
    first = counts(countries)
    policies, acks, assessments, incidents, shared = first
    assert policies >= 12 and acks > 0 and assessments == 8 and incidents == 2 and shared == 1
    with country_context(countries["FR"]):
        levels = set(ImpactAssessment.objects.exclude(status="draft").values_list("impact_level", flat=True))
        assert len(levels) >= 2
        assert ImpactAssessment.objects.filter(status="draft").exists()
    demo.seed(countries=countries, say=lambda _: None)
    assert counts(countries) == first
