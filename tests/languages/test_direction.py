"""Every element that says its language says its direction too (DESIGN §8: content in another
language than the page is marked with its own): a French name in an Arabic page runs left to
right, Arabic in an English page right to left. The demo's pages of a country admin, an auditor and
an anonymous visitor (the public register), crawled in Arabic and in English, and each element
with a `lang` checked against the direction of that language."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client

from tenants.languages.direction import direction, language_attributes
from tenants.languages.models import Preferences
from tests.crawl import ROLES, START, crawl

pytestmark = pytest.mark.django_db


class _Marked(HTMLParser):
    def __init__(self):
        super().__init__()
        self.found: list[tuple[str, str, str | None]] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "lang" in attrs:
            self.found.append((tag, attrs["lang"] or "", attrs.get("dir")))


def marked(html: str) -> list[tuple[str, str, str | None]]:
    parser = _Marked()
    parser.feed(html)
    return parser.found


def test_the_direction_of_a_language():
    assert [direction(code) for code in ("ar", "ar-eg", "AR", "fr", "en", "sw", "he", "")] == [
        "rtl",
        "rtl",
        "rtl",
        "ltr",
        "ltr",
        "ltr",
        "rtl",
        "ltr",
    ]
    assert language_attributes("fr") == 'lang="fr" dir="ltr"' and language_attributes("ar") == 'lang="ar" dir="rtl"'
    assert language_attributes("") == 'dir="auto"' and language_attributes('x" onload="') == (
        'lang="x&quot; onload=&quot;" dir="ltr"'
    )


def test_every_element_with_a_language_has_its_direction():
    call_command("seed_demo", "--force", stdout=open("/dev/null", "w"))
    wrong: dict[str, set[str]] = {}
    languages_seen: set[str] = set()
    for role in ("country admin", "auditor", "anonymous"):
        for language in ("ar", "en"):
            client = Client()
            if ROLES[role]:
                user = get_user_model().objects.get(username=ROLES[role])
                Preferences.objects.update_or_create(user=user, defaults={"language": language})
                client.force_login(user)
            else:
                client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
            for path, html in crawl(client, START, limit=40).items():
                for tag, lang, given in marked(html):
                    languages_seen.add(lang)
                    if given != direction(lang):
                        wrong.setdefault(f"<{tag} lang={lang!r} dir={given!r}>", set()).add(f"{role}/{language} {path}")
    # The crawl met content in other languages than the page's (the switcher's, the demo's French texts).
    assert {"ar", "fr", "en"} <= languages_seen
    assert not wrong, "\n".join(f"{element} ← {', '.join(sorted(where)[:3])}" for element, where in wrong.items())
