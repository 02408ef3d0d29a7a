"""Every page of every role, rendered in a pseudo language whose catalogue wraps each message of the
portal in markers, shows no visible text outside the markers except data (what people typed or the
demo seeded: names, titles, numbers, dates, codes). A crawl from each role's home page follows every
link of the portal, once per kind of page (tests/crawl.py: the same URL with other ids or another
country is the same kind)."""

from __future__ import annotations

import calendar

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import models
from django.test import Client

from tenants.isolation import country_context
from tenants.languages.models import Preferences
from tenants.models import Country
from tests.crawl import ROLES, START, crawl
from tests.languages import pseudo

pytestmark = pytest.mark.django_db


# Words that stand outside the markers because Django writes them, not the portal: month and day
# names of dates formatted for a language Django has no formats for, file-size units, and the languages' own names
# (the pseudo language's too: the switcher names each language in its own words).
ALLOWED = (
    {m for m in calendar.month_name if m}
    | {m for m in calendar.month_abbr if m}
    | set(calendar.day_name)
    | {name for _, name in settings.LANGUAGES}
    | {"Pseudo"}
    # File sizes, written by Django's filesizeformat from Django's own catalogue.
    | {"bytes", "byte", "KB", "MB", "GB"}
)


def _strings(value):
    if isinstance(value, str) and value.strip():
        yield value.strip()
    elif isinstance(value, dict):
        for inner in value.values():
            yield from _strings(inner)
    elif isinstance(value, (list, tuple)):
        for inner in value:
            yield from _strings(inner)


def _data_strings() -> list[str]:
    """Every short text the database holds (what people typed and the demo seeded)."""
    values: set[str] = set()
    User = get_user_model()
    for user in User.objects.all():
        values |= {user.username, user.first_name, user.last_name, user.get_full_name(), user.email}
    with country_context(*Country.objects.all()):
        for model in apps.get_models():
            fields = [
                f.name for f in model._meta.concrete_fields if isinstance(f, (models.CharField, models.TextField))
            ]
            if not fields or model._meta.app_label not in {
                "tenants",
                "engagements",
                "governance",
                "training",
                "deployments",
                "portal",
            }:
                continue
            try:
                rows = list(model._default_manager.all()[:2000])
            except Exception:  # noqa: BLE001 - a table this role cannot read has nothing to show either
                continue
            for row in rows:
                for name in fields:
                    try:
                        value = getattr(row, name)
                    except Exception:  # noqa: BLE001
                        continue
                    for text in _strings(value):
                        values.add(text)
                        values.update(line.strip() for line in text.splitlines() if line.strip())
    return sorted((v for v in values if len(v) >= 2), key=len, reverse=True)


@pytest.fixture
def pseudo_language(settings, tmp_path):
    settings.LOCALE_PATHS = [pseudo.build_catalogue(tmp_path), *settings.LOCALE_PATHS]
    settings.LANGUAGES = [*settings.LANGUAGES, (pseudo.CODE, "Pseudo")]
    return pseudo.CODE


def test_every_page_of_every_role_is_translated(pseudo_language, artefacts):
    call_command("seed_demo", "--force", stdout=open("/dev/null", "w"))
    data = _data_strings()
    problems: dict[str, list[str]] = {}
    for role, username in ROLES.items():
        client = Client()
        if username:
            user = get_user_model().objects.get(username=username)
            Preferences.objects.update_or_create(user=user, defaults={"language": pseudo_language})
            client.force_login(user)
        else:
            client.cookies[settings.LANGUAGE_COOKIE_NAME] = pseudo_language
        pages = crawl(client, START)
        assert len(pages) >= 3, f"{role}: the crawl found too few pages ({list(pages)})"
        for path, html in pages.items():
            assert f'lang="{pseudo_language}"' in html[:200], f"{role} {path}: not in the pseudo language"
            for text in pseudo.untranslated(html, data, ALLOWED):
                problems.setdefault(text, []).append(f"{role} {path}")
    report = "\n".join(f"{text!r}  ← {', '.join(sorted(set(where))[:3])}" for text, where in sorted(problems.items()))
    (artefacts / "untranslated.txt").write_text(report + "\n")
    assert not problems, f"{len(problems)} texts are not marked for translation:\n{report}"
