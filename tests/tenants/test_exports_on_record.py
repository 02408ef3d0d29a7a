"""Every way the record leaves the portal leaves an event on the chain it took: the audit pages and the
API (ledger.exported, tested with them), the export_ledger command (a country's chain or the
platform's), a country's data export built for a person or written by the export_country command,
and a person's copy of their data: who (or which command) took it, and which events, in numbers and
codes only. A refused export leaves none."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile

import pytest
from django.core.management import CommandError, call_command

from tenants.access import access_for
from tenants.isolation import country_context
from tenants.keys.export import country_export_build, country_export_request
from tenants.record.ledger import event_record, platform_event_record
from tenants.record.models import CountryEvent, PlatformEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def steps(country, count: int) -> None:
    with country_context(country):
        for n in range(count):
            event_record(country=country, action="test.step", payload={"n": n})


def fr_events(cast, action: str) -> list[CountryEvent]:
    with country_context(cast.fr):
        return list(CountryEvent.objects.filter(action=action).order_by("sequence"))


def test_the_ledger_command_puts_its_export_on_the_countrys_chain(cast, tmp_path):
    steps(cast.fr, 5)
    call_command("export_ledger", "FR", str(tmp_path / "fr.zip"), "--first", "2", stdout=io.StringIO())
    [event] = fr_events(cast, "ledger.exported")
    assert (event.actor_id, event.actor_role) == (None, "platform")
    assert event.payload == {"first": 2, "last": 5, "events": 4, "via": "command"}
    with zipfile.ZipFile(tmp_path / "fr.zip") as archive:  # the export holds what the event says
        sequences = [json.loads(line)["sequence"] for line in archive.read("events.jsonl").splitlines()]
    assert sequences == [2, 3, 4, 5]
    assert not PlatformEvent.objects.filter(action="ledger.exported").exists()  # on the chain it took


def test_the_ledger_command_puts_the_platform_chains_export_on_the_platform_chain(cast, tmp_path):
    for _ in range(3):
        platform_event_record(action="ledger.verified", payload={"chains": 1, "events": 0, "ok": True, "broken": []})
    head = PlatformEvent.objects.filter(sequence__isnull=False).order_by("-sequence").first().sequence
    call_command("export_ledger", "platform", str(tmp_path / "platform.zip"), stdout=io.StringIO())
    event = PlatformEvent.objects.get(action="ledger.exported")
    assert event.payload == {"first": 1, "last": head, "events": head, "via": "command"}
    assert fr_events(cast, "ledger.exported") == []


def test_a_refused_ledger_command_records_nothing(cast, tmp_path):
    steps(cast.fr, 2)
    with pytest.raises(CommandError):
        call_command("export_ledger", "FR", str(tmp_path / "fr.zip"), "--last", "9", stdout=io.StringIO())
    assert fr_events(cast, "ledger.exported") == []


def test_the_country_export_command_is_on_the_countrys_chain(cast, tmp_path, media):
    steps(cast.fr, 3)
    output = tmp_path / "fr.zip"
    call_command("export_country", "FR", str(output), stdout=io.StringIO())
    [event] = fr_events(cast, "export.written")
    assert (event.actor_id, event.actor_role) == (None, "platform")
    assert event.payload == {
        "sha256": hashlib.sha256(output.read_bytes()).hexdigest(),
        "bytes": output.stat().st_size,
        "first": 1,
        "last": 3,
    }
    manifest = json.loads(zipfile.ZipFile(output).read("manifest.json"))
    assert manifest["ledger"] == {"first": 1, "last": 3, "events": 3}  # signed with the rest


def test_a_country_export_built_for_a_person_names_the_events_it_holds(cast, media):
    steps(cast.fr, 2)
    export = country_export_request(country=cast.fr, by=cast.owner, actor_role="country_admin", schedule=False)
    country_export_build(export_id=export.pk, country_id=cast.fr.pk)
    [event] = fr_events(cast, "export.completed")
    # Events 1-2, and the request's own event (3), chained before the build read the chain.
    assert {k: event.payload[k] for k in ("first", "last")} == {"first": 1, "last": 3}


def test_a_persons_copy_of_their_data_counts_the_events_of_the_record_it_holds(cast, media):
    from tenants.keys.subject_access import subject_access_build, subject_access_request
    from tenants.models import Membership

    with country_context(cast.fr):
        event_record(country=cast.fr, action="test.step", actor=cast.member, payload={})
        event_record(country=cast.fr, action="test.step", actor=cast.member, payload={})
        membership = Membership.objects.get(user=cast.member)
    asked = subject_access_request(country=cast.fr, membership=membership, by=cast.owner, access=access_for(cast.owner))
    subject_access_build(request_id=asked.pk, country_id=cast.fr.pk)
    [event] = fr_events(cast, "subject_access.completed")
    assert event.payload["events"] == 2


# --- In words ---------------------------------------------------------------------------------------------


def test_each_door_an_export_took_reads_in_words(cast):
    from django.utils import translation

    from tenants.record.events import describe_events

    steps(cast.fr, 1)
    with country_context(cast.fr):
        for via in ("page", "api", "command"):
            event_record(
                country=cast.fr, action="ledger.exported", payload={"first": 1, "last": 1, "events": 1, "via": via}
            )
        event_record(country=cast.fr, action="ledger.exported", payload={"first": 1, "last": 1, "events": 1})
        events = list(CountryEvent.objects.filter(action="ledger.exported").order_by("sequence"))
        with translation.override("en"):
            details = [event.detail for event in describe_events(events, cast.fr)]
    assert details == [
        "Events 1 to 1 (1 in all), from the audit pages",
        "Events 1 to 1 (1 in all), through the API",
        "Events 1 to 1 (1 in all), by the platform team's command",
        "Events 1 to 1 (1 in all)",  # recorded before the door was named
    ]
