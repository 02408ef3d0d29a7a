"""Every model and app of the portal names itself in the reader's language, in the admin and
wherever a model's name is shown: an explicit singular and plural, each marked for translation (a
plural made by Django from the singular read "Shared policys", and stayed English)."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.utils.functional import Promise

pytestmark = pytest.mark.django_db

PROJECT = ("tenants", "engagements", "governance", "training", "deployments", "gateway", "portal")


def test_every_model_has_a_translated_singular_and_plural():
    missing = []
    for model in apps.get_models():
        if model._meta.app_label not in PROJECT:
            continue
        given = model._meta.original_attrs
        for option in ("verbose_name", "verbose_name_plural"):
            if not isinstance(given.get(option), Promise):
                missing.append(f"{model._meta.label}.{option}")
    assert not missing, "Give these in Meta, with gettext_lazy:\n" + "\n".join(missing)


@pytest.mark.parametrize("language", ["fr", "es", "pt", "ar", "sw"])
def test_every_model_name_is_in_each_catalogue(language):
    """A name is looked up as a message of its own: a word that the catalogue holds only as the
    singular of a plural message (ngettext) is never found by gettext, and stays English."""
    from django.utils.translation import trans_real

    catalogue = trans_real.translation(language)._catalog
    absent = []
    for model in apps.get_models():
        if model._meta.app_label in PROJECT:
            for option in ("verbose_name", "verbose_name_plural"):
                name = model._meta.original_attrs[option]
                key = "\x04".join(name._args)  # pgettext_lazy's context, then the message
                if key not in catalogue:
                    absent.append(f"{model._meta.label}.{option}: {key!r}")
    assert not absent, "\n".join(absent)


def test_every_app_has_a_translated_name():
    assert [
        c.name for c in apps.get_app_configs() if c.name in PROJECT and not isinstance(c.verbose_name, Promise)
    ] == []


def test_the_admin_names_models_in_the_readers_language(client):
    from django.contrib.auth import get_user_model

    from tenants.languages.models import Preferences

    root = get_user_model().objects.create_superuser("root-admin", "root@example.org", "a-long-admin-password-1")
    for language, plural, app in (
        ("en", "Shared policies", "Governance"),
        ("fr", "Politiques partagées", "Gouvernance"),
    ):
        Preferences.objects.update_or_create(user=root, defaults={"language": language})
        client.force_login(root)
        html = client.get("/admin/").content.decode()
        assert plural in html and app in html and "policys" not in html, language


def test_every_fields_given_name_and_help_is_marked_for_translation():
    """A field's name (verbose_name) and help are labels of the admin's and the model forms' fields
    and of the data dictionary: one given as a plain string stays English whatever the reader's."""
    plain = []
    for model in apps.get_models():
        if model._meta.app_label not in PROJECT:
            continue
        for field in model._meta.local_fields + list(model._meta.local_many_to_many):
            if field.primary_key and field.auto_created:
                continue
            # A name Django made from the attribute's ("created at") is not one given; one given
            # in English ("work phone") is, and so is any help.
            made = field.name.replace("_", " ")
            if not isinstance(field.verbose_name, Promise) and field.verbose_name != made:
                plain.append(f"{model._meta.label}.{field.name}.verbose_name: {field.verbose_name!r}")
            if field.help_text and not isinstance(field.help_text, Promise):
                plain.append(f"{model._meta.label}.{field.name}.help_text: {field.help_text!r}")
    assert not plain, "\n".join(plain)


def test_the_identity_providers_fields_are_named_in_the_readers_language():
    from django.utils import translation

    from tenants.identity.models import IdentityProvider

    with translation.override("fr"):
        names = {f.name: str(f.verbose_name) for f in IdentityProvider._meta.fields}
    assert names["default_organisation"] == "organisation par défaut"
    assert names["default_role"] == "rôle par défaut"
