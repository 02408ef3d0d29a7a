"""training.demo.seed on top of the tenants demo: enrolments and certificates per country, idempotent."""

import pytest

from tenants import demo as tenants_demo
from tenants.isolation import country_context
from training import demo
from training.models import Certificate, Enrolment

pytestmark = pytest.mark.django_db


def test_seed_gives_each_country_training_history_once():
    countries = tenants_demo.seed(say=lambda _: None)
    demo.seed(countries=countries, say=lambda _: None)
    counts = {}
    for code, country in countries.items():
        with country_context(country):
            counts[code] = (Enrolment.objects.count(), Certificate.objects.count())
    assert all(enrolled and certified for enrolled, certified in counts.values())
    demo.seed(countries=countries, say=lambda _: None)
    for code, country in countries.items():
        with country_context(country):
            assert (Enrolment.objects.count(), Certificate.objects.count()) == counts[code]
