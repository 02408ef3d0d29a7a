"""A time labelled UTC is shown in UTC, whatever the reader's time zone (a France admin reads in
Europe/Paris, one or two hours ahead): the label and the time agree."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from html import unescape

import pytest
from django.utils import formats

from tenants.isolation import country_context
from tenants.keys.envelope import country_key_create
from tenants.languages.models import Preferences
from tenants.record.ledger import event_record

pytestmark = pytest.mark.django_db

TIMES = re.compile(r'<time datetime="([^"]+)">([^<]+)</time>')


def in_paris(user):
    Preferences.objects.update_or_create(user=user, defaults={"language": "en", "time_zone": "Europe/Paris"})


def utc_of(iso: str) -> datetime:
    return datetime.fromisoformat(iso).astimezone(UTC)


def test_the_key_date_labelled_utc_is_in_utc_for_a_paris_reader(client, cast):
    country_key_create(country_id=cast.fr.pk)
    in_paris(cast.owner)
    client.force_login(cast.owner)
    response = client.get("/c/fr/data/")
    body = unescape(response.content.decode())
    labelled = [(iso, text) for iso, text in TIMES.findall(body) if text.strip().endswith("UTC")]
    assert labelled, "the page shows the key's date with a UTC label"
    for iso, text in labelled:
        assert "+01:00" in iso or "+02:00" in iso  # the reader's zone is in force on this page
        assert text.strip() == f"{formats.date_format(utc_of(iso), 'DATETIME_FORMAT')} UTC"


def test_the_audit_table_headed_utc_is_in_utc_for_a_paris_reader(client, cast):
    with country_context(cast.fr):
        event_record(
            country=cast.fr,
            action="organisation.created",
            actor=cast.owner,
            actor_role="country_admin",
            target=cast.fr_ministry,
            payload={"kind": "ministry", "n": 0},
        )
    in_paris(cast.auditor)
    client.force_login(cast.auditor)
    body = unescape(client.get("/audit/fr/").content.decode())
    assert "Times are UTC." in body
    cells = [(iso, text) for iso, text in TIMES.findall(body) if re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", text)]
    assert cells
    for iso, text in cells[:1]:
        assert text == utc_of(iso).strftime("%Y-%m-%d %H:%M:%S")
