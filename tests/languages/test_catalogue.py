"""The platform's catalogue in the reader's language: translated where a translation exists, else
English marked lang="en" (DESIGN §8)."""

import pytest
from django.test import Client

from tenants.languages.models import Preferences

pytestmark = pytest.mark.django_db


def _policies_page(cast, language: str) -> str:
    Preferences.objects.filter(user=cast.owner).update(language=language)
    client = Client()
    client.force_login(cast.owner)
    response = client.get("/c/fr/governance/policies/")
    assert response.status_code == 200
    return response.content.decode()


def test_policy_templates_are_in_french_for_a_french_reader(cast):
    body = _policies_page(cast, "fr")
    assert "Protection des données dans les services d’IA" in body
    assert '<span lang="en">Data protection in AI services</span>' not in body


def test_a_catalogue_text_is_translated_in_swahili_too(cast):
    body = _policies_page(cast, "sw")
    assert "Data protection in AI services" not in body


def test_an_untranslated_catalogue_text_is_english_marked_as_such():
    # Every catalogue text is translated today; one a later release adds reads in English until
    # its translation lands, marked so that a screen reader switches voice.
    from django.utils import translation

    from tenants.templatetags.reading import catalogue

    with translation.override("sw"):
        assert catalogue("A programme added after the last translation") == (
            '<span lang="en">A programme added after the last translation</span>'
        )
        assert catalogue("Data protection in AI services") != "Data protection in AI services"
        assert "<span" not in catalogue("Data protection in AI services")


def test_english_readers_see_it_unmarked(cast):
    body = _policies_page(cast, "en")
    assert "Data protection in AI services" in body and '<span lang="en">' not in body
