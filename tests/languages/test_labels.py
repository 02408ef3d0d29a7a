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
        country=cast.fr,
        sequence=1,
        action="future.thing_done",
        actor_role="future_role",
        target_type="future.widget",
        target_id="7",
        payload={},
    )
    with translation.override("fr"):
        [described] = describe_events([event], cast.fr)
    assert described.label == "Action enregistrée future.thing_done"
    assert described.actor_role_label == "rôle future_role"
    assert described.target_label == "Enregistrement future.widget 7"
    assert "Thing done" not in described.label and "Widget" not in described.target_label


def _our_forms():
    import importlib
    import pkgutil

    from django import forms

    for app in sorted(APPS):
        package = importlib.import_module(app)
        for module in pkgutil.walk_packages(package.__path__, f"{app}."):
            if ".migrations" not in module.name and ".management" not in module.name:
                importlib.import_module(module.name)

    def below(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from below(sub)

    return {cls for cls in below(forms.BaseForm) if cls.__module__.split(".")[0] in APPS}


def test_every_visible_form_field_has_a_label_of_its_own():
    # Without one, Django makes it from the field's name, in English whatever the reader's.
    unnamed = [
        f"{form.__module__}.{form.__name__}.{name}"
        for form in _our_forms()
        for name, field in getattr(form, "base_fields", {}).items()
        if field.label is None and not field.widget.is_hidden
    ]
    assert not unnamed, unnamed


def test_every_label_of_the_record_is_translated():
    from tenants.record.events import ACTION_LABELS

    _our_forms()  # every module registered its labels
    plain = [code for code, label in ACTION_LABELS.items() if not isinstance(label, Promise)]
    assert not plain, f"action labels in English only: {plain}"


@pytest.mark.parametrize(
    "language, expected",
    [
        # French: an engagement, an environment and a country are masculine; a request and a key feminine.
        (
            "fr",
            {"engagement": "Actif", "request": "Active", "environment": "Actif", "country": "Actif", "key": "Active"},
        ),
        # Spanish and Portuguese: the engagement is a colaboración / colaboração (feminine).
        (
            "es",
            {
                "engagement": "Activa",
                "request": "Activa",
                "environment": "Activo",
                "country": "Activo",
                "key": "Activa",
            },
        ),
        ("pt", {"engagement": "Ativa", "request": "Ativo", "environment": "Ativo", "country": "Ativo", "key": "Ativa"}),
    ],
)
def test_a_shared_state_label_agrees_with_the_thing_it_describes(language, expected):
    from deployments.models import DeploymentRequest, Environment
    from engagements.models import Engagement
    from tenants.keys.models import CountryKey
    from tenants.models import Country

    labels = {
        "engagement": Engagement.State.ACTIVE.label,
        "request": DeploymentRequest.State.ACTIVE.label,
        "environment": Environment.State.ACTIVE.label,
        "country": Country.Status.ACTIVE.label,
        "key": CountryKey.State.ACTIVE.label,
    }
    with translation.override(language):
        assert {kind: str(label) for kind, label in labels.items()} == expected
