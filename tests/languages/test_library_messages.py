"""The libraries' messages that people read (Django REST framework's refusals of malformed input,
allauth's sign-in refusals) are in the portal's catalogue, so that they read in every language of
the portal, Swahili included, which neither library has (tenants/languages/library_messages.py)."""

from __future__ import annotations

import inspect

import pytest
from allauth.account.adapter import DefaultAccountAdapter
from allauth.mfa.adapter import DefaultMFAAdapter
from django.conf import settings
from django.utils import translation
from rest_framework import exceptions, fields, relations, serializers
from rest_framework.test import APIClient

from tenants.languages import library_messages


def _english(message) -> str:
    with translation.override(None):
        return str(message)


def rest_framework_messages() -> set[str]:
    found = set()
    for module in (fields, relations, serializers):
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, fields.Field) and cls.__module__ == module.__name__:
                found |= {_english(m) for m in cls.__dict__.get("default_error_messages", {}).values()}
    for _, cls in inspect.getmembers(exceptions, inspect.isclass):
        if issubclass(cls, exceptions.APIException) and "default_detail" in cls.__dict__:
            found.add(_english(cls.default_detail))
    return found


def allauth_messages() -> set[str]:
    return {
        _english(m)
        for m in [*DefaultAccountAdapter.error_messages.values(), *DefaultMFAAdapter.error_messages.values()]
    }


def test_the_list_holds_every_message_of_the_libraries_installed():
    assert len(rest_framework_messages()) > 60
    assert rest_framework_messages() <= set(library_messages.REST_FRAMEWORK)
    assert allauth_messages() <= set(library_messages.ALLAUTH)


@pytest.mark.parametrize("language", [code for code, _ in settings.LANGUAGES if code != "en"])
def test_every_library_message_reads_in_each_language(language):
    untranslated = []
    for message in (*library_messages.REST_FRAMEWORK, *library_messages.ALLAUTH):
        with translation.override(language):
            if translation.gettext(message) == message:
                untranslated.append(message)
    assert not untranslated, f"{language}: {untranslated}"


@pytest.mark.django_db
def test_a_malformed_field_is_refused_in_swahili():
    with translation.override("sw"):
        expected = translation.gettext("Not a valid string.")
    assert expected != "Not a valid string."
    response = APIClient().post(
        "/api/v1/auth/token/", {"username": ["a"], "password": "x"}, format="json", HTTP_ACCEPT_LANGUAGE="sw"
    )
    assert response.status_code == 400
    assert response["Content-Language"] == "sw"
    assert response.json()["errors"]["username"] == [expected]
