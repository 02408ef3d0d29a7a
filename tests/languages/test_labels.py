"""Labels a page shows for codes (choices, the record's actions and roles, a job's state) come from
the catalogue in the reader's language, never English built from the code."""

import pytest
from django.apps import apps
from django.utils import translation
from django.utils.functional import Promise

from tenants.record.events import describe_events
from tenants.record.models import CountryEvent

APPS = {"tenants", "engagements", "governance", "training", "deployments", "portal"}
# Choices whose labels are names in their own language on purpose (the language switcher's).
OWN_NAMES = {("tenants", "Preferences", "language")}


def test_every_choice_of_every_model_is_a_translated_label():
    plain = []
    for model in apps.get_models():
        if model._meta.app_label not in APPS and model.__module__.split(".")[0] not in APPS:
            continue
        for field in model._meta.concrete_fields:
            if not field.choices or (model._meta.app_label, model.__name__, field.name) in OWN_NAMES:
                continue
            plain += [
                f"{model.__name__}.{field.name}: {label!r}"
                for _, label in field.flatchoices
                if not isinstance(label, Promise)
            ]
    assert not plain, "choices shown in English whatever the reader's language:\n" + "\n".join(plain)


def test_training_requirements_read_in_french():
    from training.models import PlatformRequirement

    requirement = PlatformRequirement(role="country_admin", sector="finance", capability="fine_tuning")
    with translation.override("fr"):
        assert requirement.get_role_display() == "Administrateur national"
        assert requirement.get_sector_display() == "Finances"
        assert str(requirement.get_capability_display()) != "Fine-tuning"


@pytest.mark.django_db
def test_the_record_names_unknown_codes_inside_a_sentence_of_the_readers_language(cast):
    event = CountryEvent(
        country=cast.fr, sequence=1, action="future.thing_done", actor_role="future_role", target_type="future.widget",
        target_id="7", payload={},
    )
    with translation.override("fr"):
        [described] = describe_events([event], cast.fr)
    assert described.label == "Action enregistrée future.thing_done"
    assert described.actor_role_label == "rôle future_role"
    assert described.target_label == "Enregistrement future.widget 7"
    assert "Thing done" not in described.label and "Widget" not in described.target_label
