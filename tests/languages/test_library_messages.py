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


def allauth_page_messages() -> set[str]:
    """The message ids of allauth's templates the portal serves (those it does not replace), as
    makemessages would read them: Django's templatize, then xgettext."""
    import subprocess
    import tempfile
    from pathlib import Path

    import allauth
    from django.utils.translation.template import templatize

    ours = Path(settings.BASE_DIR) / "templates"
    theirs = Path(allauth.__file__).parent / "templates"
    with tempfile.TemporaryDirectory() as folder:
        files = []
        for part in ("account", "mfa", "usersessions", "socialaccount"):
            for path in sorted((theirs / part).rglob("*.*")):
                if path.suffix in (".html", ".txt") and not (ours / path.relative_to(theirs)).exists():
                    files.append(Path(folder) / f"t{len(files)}.py")
                    files[-1].write_text(templatize(path.read_text(), origin=str(path)))
        pot = subprocess.run(
            ["xgettext", "-L", "Python", "--keyword=pgettext:1c,2", "--keyword=npgettext:1c,2,3", "-o", "-"]
            + ["--from-code=UTF-8", *map(str, files)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    found = set()
    for block in pot.split("\n\n")[1:]:
        text, current = "", False
        for line in block.splitlines():
            if line.startswith("msgid "):
                text, current = line[6:].strip('"'), True
            elif line.startswith('"') and current:
                text += line.strip('"')
            else:
                current = False
        found.add(text.encode().decode("unicode_escape").encode("latin-1").decode("utf-8"))
    return found


def test_the_list_holds_every_message_of_the_libraries_installed():
    assert len(rest_framework_messages()) > 60
    assert rest_framework_messages() <= set(library_messages.REST_FRAMEWORK)
    assert allauth_messages() <= set(library_messages.ALLAUTH)
    pages = allauth_page_messages()
    assert len(pages) > 150
    assert pages <= {_english(message) for message in library_messages.ALLAUTH_PAGES}


@pytest.mark.parametrize("language", [code for code, _ in settings.LANGUAGES if code != "en"])
def test_every_library_message_is_in_each_languages_catalogue(language):
    """In the portal's own catalogue (which test_catalogues_complete holds wholly translated), not
    only in the library's: Swahili has no catalogue of either library."""
    import json

    from tests.languages.test_catalogues_complete import _catalogue, _ids

    # _ids reads the catalogue's text: its message ids keep their escapes (\\" and \\n).
    ours = {json.loads(f'"{msgid}"') for _context, msgid in _ids(_catalogue(language).read_text())}
    listed = (*library_messages.REST_FRAMEWORK, *library_messages.ALLAUTH, *library_messages.ALLAUTH_PAGES)
    missing = [_english(message) for message in listed if _english(message) not in ours]
    assert not missing, f"{language}: {missing}"


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
