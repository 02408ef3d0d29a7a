"""Every page writes a moment one way (the `moment` filter): in the reader's time zone, followed by
the zone it is in ("UTC", "UTC+01:00"), inside a <time> element carrying the exact instant, so the
label and the time always agree, on the record's history and checkpoints as on everything else."""

from __future__ import annotations

import re
from datetime import datetime
from html import unescape

import pytest

from tenants.isolation import country_context
from tenants.keys.envelope import country_key_create
from tenants.languages.models import Preferences
from tenants.record.ledger import event_record
from tests.signing_keys import events_and_checkpoint, key_files  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db

TIMES = re.compile(r'<time datetime="([^"]+)">([^<]+)</time>')


def in_paris(user):
    Preferences.objects.update_or_create(user=user, defaults={"language": "en", "time_zone": "Europe/Paris"})


def labelled_times(body: str) -> list[tuple[datetime, str]]:
    """Each <time> of the page, checked: its text ends with the zone its instant is written in,
    and shows that instant's hour and minute in that zone."""
    found = []
    for iso, text in TIMES.findall(unescape(body)):
        moment = datetime.fromisoformat(iso)
        offset = moment.strftime("%z")
        zone = "UTC" if offset == "+0000" else f"UTC{offset[:3]}:{offset[3:]}"
        assert text.strip().endswith(f" {zone}"), text
        assert moment.strftime("%H:%M") in text, (iso, text)
        found.append((moment, text.strip()))
    return found


def test_the_data_page_names_the_readers_zone(client, cast):
    country_key_create(country_id=cast.fr.pk)
    in_paris(cast.owner)
    client.force_login(cast.owner)
    times = labelled_times(client.get("/c/fr/data/").content.decode())
    assert times and all(text.endswith(" UTC+01:00") for _, text in times)


def test_the_record_and_its_checkpoints_name_the_zone(client, cast, key_files):  # noqa: F811
    events_and_checkpoint(cast.fr, 2)
    in_paris(cast.auditor)
    client.force_login(cast.auditor)
    body = client.get("/audit/fr/").content.decode()
    times = labelled_times(body)
    precise = [text for _, text in times if re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC\+01:00", text)]
    assert len(precise) >= 3  # two events and the checkpoint, to the second
    assert "Times are UTC" not in body


def test_the_activity_feed_names_utc_for_a_reader_in_utc(client, cast):
    with country_context(cast.fr):
        event_record(
            country=cast.fr,
            action="organisation.created",
            actor=cast.owner,
            actor_role="country_admin",
            target=cast.fr_ministry,
            payload={"kind": "ministry", "n": 0},
        )
    client.force_login(cast.owner)
    for page in ("/c/fr/activity/", "/c/fr/", "/"):
        times = labelled_times(client.get(page).content.decode())
        assert times and all(text.endswith(" UTC") for _, text in times), page
