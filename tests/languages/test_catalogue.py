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
    assert '<span lang="en" dir="ltr">Data protection in AI services</span>' not in body


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
            '<span lang="en" dir="ltr">A programme added after the last translation</span>'
        )
        assert catalogue("Data protection in AI services") != "Data protection in AI services"
        assert "<span" not in catalogue("Data protection in AI services")


def test_english_readers_see_it_unmarked(cast):
    body = _policies_page(cast, "en")
    assert "Data protection in AI services" in body and '<span lang="en"' not in body


def _platform_catalogue_texts() -> list[str]:
    """Every text of the platform catalogue a reader sees: policy templates' titles and summaries,
    programmes' titles and summaries, and each module's title, text, links and quiz."""
    from governance.catalogue import POLICY_TEMPLATES
    from training.catalogue import PROGRAMMES

    texts = [t[key] for t in POLICY_TEMPLATES for key in ("title", "summary")]
    for programme in PROGRAMMES:
        texts += [programme["title"], programme["summary"]]
        for module in programme["modules"]:
            texts += [module["title"], module["body"]]
            texts += [link["title"] for link in module["links"]]
            for question in module["quiz"]:
                texts += [question["question"], *question["options"]]
    return texts


@pytest.mark.parametrize("language", ["fr", "es", "pt", "ar", "sw"])
def test_every_text_of_the_platform_catalogue_is_translated(language):
    from django.utils import translation

    texts = _platform_catalogue_texts()
    assert len(texts) > 150
    with translation.override(language):
        missing = [text for text in texts if translation.gettext(text) == text]
    assert not missing, f"{len(missing)} catalogue texts not translated into {language}: {missing[:5]}"


def test_a_module_reads_in_the_readers_language_and_its_answer_stays_put():
    from django.utils import translation

    from training.catalogue import PROGRAMMES
    from training.models import ProgrammeVersion

    version = ProgrammeVersion(content={"modules": PROGRAMMES[0]["modules"]})
    with translation.override("sw"):
        module = version.module_in_reading(0)
    assert module["title"] == "Modeli ya lugha inachofanya"
    assert "Ufasaha si usahihi" in module["body_html"] and 'lang="en"' not in module["body_html"]
    assert module["quiz"][0]["options"][1] == "Nahakiki takwimu na chanzo kabla ya kuitumia"
    assert module["quiz"][0]["answer"] == PROGRAMMES[0]["modules"][0]["quiz"][0]["answer"]
    assert module["links"][0]["url"] == "https://oecd.ai/en/ai-principles"
