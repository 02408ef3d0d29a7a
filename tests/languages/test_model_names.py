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
