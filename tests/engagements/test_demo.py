"""The demo's engagement history: one per country in the promised states, made through the services
(so on the record), and seeding twice changes nothing."""

import pytest

from engagements import demo as engagement_demo
from engagements.models import Engagement
from tenants import demo
from tenants.isolation import country_context
from tenants.record.models import CountryEvent

pytestmark = pytest.mark.django_db


def test_demo_engagements_and_idempotence():
    countries = demo.seed(say=lambda _: None)
    engagement_demo.seed(countries=countries, say=lambda _: None)

    def states():
        result = {}
        for code, country in countries.items():
            with country_context(country):
                result[code] = (
                    list(Engagement.objects.values_list("state", flat=True)),
                    CountryEvent.objects.filter(action__startswith="engagement.").count(),
                )
        return result

    first = states()
    assert {code: s for code, (s, _) in first.items()} == {
        "FR": ["active"],
        "KE": ["in_review"],
        "EE": ["approved"],
        "BR": ["draft"],
    }
    assert all(events for _, events in first.values())
    engagement_demo.seed(countries=countries, say=lambda _: None)
    assert states() == first
