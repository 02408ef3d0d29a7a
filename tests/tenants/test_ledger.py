"""The country event chain (DESIGN §5): appends link into one hash chain per country, the database
refuses UPDATE and DELETE, verification detects edits, deletions, insertions and reordering,
payloads carry no secrets, and concurrent appends never fork the chain."""

from __future__ import annotations

import copy
import hashlib
import json
import os
import threading
import time
from datetime import UTC, timedelta

import dj_database_url
import psycopg2
import pytest
from django.db import DatabaseError, connection, transaction

from tenants.db import APPEND_ONLY_TABLES
from tenants.isolation import country_context
from tenants.models import Country
from tenants.record.ledger import GENESIS_HASH, MAX_PAYLOAD_BYTES, PayloadRefused, chain_verify, event_record
from tenants.record.models import CountryEvent

postgres_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL")


def chain(country) -> list[CountryEvent]:
    with country_context(country):
        return list(CountryEvent.objects.filter(country=country).order_by("sequence"))


def record_some(cast, n: int = 5) -> list[CountryEvent]:
    for i in range(n):
        event_record(
            country=cast.fr,
            action="test.step",
            actor=cast.owner,
            actor_role="country_admin",
            target=cast.fr_ministry,
            payload={"step": i, "labels": ["a", "é"], "flag": True},
        )
    return chain(cast.fr)


def stdlib_hash(event: CountryEvent, chain_name: str) -> str:
    """The event's hash recomputed from its stored fields with the standard library only, as the
    offline verification script does: the canonical encoding is a published format."""
    fields = {
        "chain": chain_name,
        "sequence": event.sequence,
        "at": event.at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "actor": event.actor_id,
        "actor_role": event.actor_role,
        "action": event.action,
        "target_type": event.target_type,
        "target_id": event.target_id,
        "payload": event.payload,
        "prev_hash": event.prev_hash,
    }
    return hashlib.sha256(
        json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    ).hexdigest()


# --- Appending ---------------------------------------------------------------------------------------


def test_appends_form_a_linked_chain(cast):
    events = record_some(cast, 5)
    assert [e.sequence for e in events] == [1, 2, 3, 4, 5]
    assert events[0].prev_hash == GENESIS_HASH
    for previous, event in zip(events, events[1:]):
        assert event.prev_hash == previous.hash
    assert len({e.hash for e in events}) == 5
    for event in events:
        assert event.hash == stdlib_hash(event, "FR")
        assert event.actor_id == cast.owner.pk and event.actor_label == "owner"
        assert (event.target_type, event.target_id) == ("tenants.organisation", str(cast.fr_ministry.pk))
    report = chain_verify(country=cast.fr)
    assert (report.ok, report.events, report.problem) == (True, 5, "")


def test_each_country_has_its_own_chain(cast):
    record_some(cast, 3)
    event_record(country=cast.ke, action="test.ke")
    ke_events = chain(cast.ke)
    assert [(e.sequence, e.prev_hash) for e in ke_events] == [(1, GENESIS_HASH)]
    assert chain_verify(country=cast.ke).ok and chain_verify(country=cast.ke).events == 1
    assert chain_verify(country=cast.fr).events == 3


def test_an_event_rolled_back_with_its_change_leaves_no_gap(cast):
    record_some(cast, 2)
    with pytest.raises(RuntimeError):
        with transaction.atomic():
            event_record(country=cast.fr, action="test.undone")
            raise RuntimeError("the change being recorded failed")
    event_record(country=cast.fr, action="test.after")
    assert [e.sequence for e in chain(cast.fr)] == [1, 2, 3]
    assert [e.action for e in chain(cast.fr)] == ["test.step", "test.step", "test.after"]
    assert chain_verify(country=cast.fr).ok


def test_a_system_event_has_no_actor(cast):
    event = event_record(country=cast.fr, action="test.system")
    assert (event.actor_id, event.actor_label) == (None, "system")
    assert chain_verify(country=cast.fr).ok


# --- The database refuses changes ---------------------------------------------------------------------


@postgres_only
def test_every_append_only_table_refuses_change_to_the_runtime_role_and_its_owner(db):
    """The event chain and everything declared append-only with it: the runtime role may read and
    append but holds no UPDATE or DELETE, and a trigger refuses both even to the owner."""
    assert "tenants_countryevent" in APPEND_ONLY_TABLES
    with connection.cursor() as cursor:
        for table in APPEND_ONLY_TABLES:
            cursor.execute(
                "SELECT has_table_privilege(%s, 'SELECT'), has_table_privilege(%s, 'INSERT'), "
                "has_table_privilege(%s, 'UPDATE'), has_table_privilege(%s, 'DELETE')",
                [table] * 4,
            )
            assert cursor.fetchone() == (True, True, False, False), table
            cursor.execute(
                "SELECT t.tgenabled, t.tgtype FROM pg_trigger t JOIN pg_proc p ON p.oid = t.tgfoid "
                "WHERE t.tgrelid = to_regclass(%s) AND p.proname = 'portal_refuse_change' AND NOT t.tgisinternal",
                [table],
            )
            triggers = cursor.fetchall()
            assert len(triggers) == 1, f"{table} has no append-only trigger"
            enabled, kind = triggers[0]
            # tgtype bits: 1 row-level, 2 before, 8 delete, 16 update
            assert enabled == "O" and kind & (1 | 2 | 8 | 16) == (1 | 2 | 8 | 16), table


@postgres_only
@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE tenants_countryevent SET payload = '{\"step\": 99}' WHERE id = %s",
        "UPDATE tenants_countryevent SET at = at - interval '1 day' WHERE id = %s",
        "UPDATE tenants_countryevent SET action = 'test.forged' WHERE id = %s",
        "DELETE FROM tenants_countryevent WHERE id = %s",
    ],
)
def test_raw_update_and_delete_are_refused(cast, statement):
    events = record_some(cast, 3)
    target = events[1]
    with country_context(cast.fr):
        with pytest.raises(DatabaseError, match="permission denied"), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(statement, [target.pk])
    after = chain(cast.fr)
    assert [(e.pk, e.payload, e.at, e.action, e.hash) for e in after] == [
        (e.pk, e.payload, e.at, e.action, e.hash) for e in events
    ]
    assert chain_verify(country=cast.fr).ok


@postgres_only
def test_orm_update_and_delete_are_refused(cast):
    events = record_some(cast, 2)
    with country_context(cast.fr):
        with pytest.raises(DatabaseError, match="permission denied"), transaction.atomic():
            CountryEvent.objects.filter(pk=events[0].pk).update(action="test.forged")
        with pytest.raises(DatabaseError, match="permission denied"), transaction.atomic():
            event = CountryEvent.objects.get(pk=events[0].pk)
            event.payload = {"step": 42}
            event.save()
        with pytest.raises(DatabaseError, match="permission denied"), transaction.atomic():
            CountryEvent.objects.get(pk=events[1].pk).delete()
    assert [(e.pk, e.action, e.payload) for e in chain(cast.fr)] == [(e.pk, e.action, e.payload) for e in events]


@postgres_only
def test_even_the_owning_role_cannot_update_or_delete_events(db):
    """The append-only trigger refuses the table's owner (here a superuser, which bypasses
    row-level security and privileges) — on a connection of its own, rolled back."""
    params = dj_database_url.parse(os.environ["DATABASE_URL"])
    owner = psycopg2.connect(
        dbname=connection.settings_dict["NAME"],
        user=params["USER"],
        password=params.get("PASSWORD") or None,
        host=params["HOST"] or "127.0.0.1",
        port=params["PORT"] or 5432,
    )
    try:
        with owner.cursor() as cursor:
            cursor.execute("SELECT current_user <> 'portal_app'")
            assert cursor.fetchone()[0]
            cursor.execute(
                "INSERT INTO tenants_country (code, name, status, residency_region, default_language, created_at) "
                "VALUES ('ZQ', 'Owner probe', 'active', 'eu-west', 'en', now()) RETURNING id"
            )
            country_id = cursor.fetchone()[0]
            cursor.execute(
                "INSERT INTO tenants_countryevent (country_id, sequence, at, actor_label, actor_role, action, target_type, "
                "target_id, payload, prev_hash, hash) VALUES (%s, 1, now(), 'system', '', 'test.owner', '', '', '{}', %s, %s) "
                "RETURNING id",
                [country_id, GENESIS_HASH, "f" * 64],
            )
            event_id = cursor.fetchone()[0]
            for statement in (
                "UPDATE tenants_countryevent SET action = 'test.forged' WHERE id = %s",
                "DELETE FROM tenants_countryevent WHERE id = %s",
            ):
                cursor.execute("SAVEPOINT probe")
                with pytest.raises(psycopg2.errors.InsufficientPrivilege, match="append-only"):
                    cursor.execute(statement, [event_id])
                cursor.execute("ROLLBACK TO SAVEPOINT probe")
            cursor.execute("SELECT action FROM tenants_countryevent WHERE id = %s", [event_id])
            assert cursor.fetchone()[0] == "test.owner"
            cursor.execute("SELECT tgenabled FROM pg_trigger WHERE tgname = 'tenants_countryevent_append_only'")
            assert cursor.fetchone()[0] == "O"  # enabled, in every session replication mode but 'replica'
    finally:
        owner.rollback()
        owner.close()


# --- Verification detects tampering ------------------------------------------------------------------


def tampered(events: list[CountryEvent], index: int, **changes) -> list[CountryEvent]:
    copies = [copy.copy(e) for e in events]
    for name, value in changes.items():
        setattr(copies[index], name, value)
    return copies


@pytest.mark.parametrize(
    "changes",
    [
        {"payload": {"step": 99, "labels": ["a", "é"], "flag": True}},
        {"payload": {"step": 2, "labels": ["a", "é"], "flag": True, "extra": 1}},
        {"action": "test.other"},
        {"actor_id": None},
        {"actor_role": "viewer"},
        {"target_id": "999"},
        {"target_type": "tenants.membership"},
    ],
    ids=["payload-value", "payload-key", "action", "actor", "actor_role", "target_id", "target_type"],
)
def test_an_altered_field_is_detected(cast, changes):
    events = record_some(cast, 5)
    report = chain_verify(country=cast.fr, events=tampered(events, 2, **changes))
    assert not report.ok
    assert report.problem.startswith("event 3 was altered")


def test_an_altered_time_is_detected(cast):
    events = record_some(cast, 5)
    for delta in (timedelta(microseconds=1), timedelta(days=-1)):
        report = chain_verify(country=cast.fr, events=tampered(events, 2, at=events[2].at + delta))
        assert not report.ok and report.problem.startswith("event 3 was altered")


def test_an_altered_event_with_a_recomputed_hash_breaks_the_link_to_the_next(cast):
    events = record_some(cast, 5)
    forged = tampered(events, 2, action="test.forged")
    forged[2].hash = stdlib_hash(forged[2], "FR")
    report = chain_verify(country=cast.fr, events=forged)
    assert not report.ok and report.problem.startswith("event 4 does not follow the hash")


def test_a_missing_event_is_detected(cast):
    events = record_some(cast, 5)
    report = chain_verify(country=cast.fr, events=events[:2] + events[3:])
    assert not report.ok and report.problem.startswith("sequence 4 where 3 was expected")
    report = chain_verify(country=cast.fr, events=events[1:])
    assert not report.ok and report.problem.startswith("sequence 2 where 1 was expected")


def test_a_swapped_pair_is_detected(cast):
    events = record_some(cast, 5)
    swapped = events[:1] + [events[2], events[1]] + events[3:]
    report = chain_verify(country=cast.fr, events=swapped)
    assert not report.ok and report.problem.startswith("sequence 3 where 2 was expected")
    # Renumbering the swapped pair does not help: the hashes no longer link.
    renumbered = [copy.copy(e) for e in swapped]
    renumbered[1].sequence, renumbered[2].sequence = 2, 3
    assert not chain_verify(country=cast.fr, events=renumbered).ok


def test_an_inserted_event_is_detected(cast):
    events = record_some(cast, 4)
    extra = copy.copy(events[1])
    report = chain_verify(country=cast.fr, events=events[:2] + [extra] + events[2:])
    assert not report.ok and report.problem.startswith("sequence 2 where 3 was expected")


def test_a_forged_row_appended_in_the_database_is_detected(cast):
    """The runtime role may INSERT into the chain; a row not made by event_record does not verify."""
    events = record_some(cast, 3)
    with country_context(cast.fr):
        CountryEvent.objects.create(
            country=cast.fr,
            sequence=4,
            at=events[-1].at,
            action="test.forged",
            prev_hash=events[-1].hash,
            hash="0" * 64,
        )
    report = chain_verify(country=cast.fr)
    assert (report.ok, report.events) == (False, 4) and report.problem.startswith("event 4 was altered")


def test_another_countrys_events_do_not_verify_as_this_countrys(cast):
    """The country code is part of every hash: FR's events cannot be passed off as KE's."""
    events = record_some(cast, 2)
    assert not chain_verify(country=cast.ke, events=events).ok


# --- Payloads -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "payload",
    [
        {"password": "hunter2"},
        {"Password": "hunter2"},
        {"new_password": "x"},
        {"token": "abc"},
        {"api_key": "abc"},
        {"key": "abc"},
        {"private_key": "abc"},
        {"secret": "abc"},
        {"email": "someone@example.org"},
        {"user_email": "someone@example.org"},
        {"phone_number": "+33 1 23 45 67 89"},
        {"credential": "x"},
        {"nested": {"deeper": {"email": "someone@example.org"}}},
        {"items": [{"ok": 1}, {"token": "abc"}]},
    ],
    ids=lambda p: json.dumps(p)[:40],
)
def test_a_payload_with_a_secret_or_personal_key_is_refused_and_nothing_is_written(cast, payload):
    record_some(cast, 1)
    with pytest.raises(PayloadRefused):
        event_record(country=cast.fr, action="test.leaky", payload=payload)
    assert [e.action for e in chain(cast.fr)] == ["test.step"]
    event_record(country=cast.fr, action="test.next")
    assert [(e.sequence, e.action) for e in chain(cast.fr)] == [(1, "test.step"), (2, "test.next")]


@pytest.mark.parametrize("key", ["newPassword", "accessToken", "contactEmail", "secretKey", "emails"])
def test_camel_case_and_plural_secret_keys_are_refused(cast, key):
    with pytest.raises(PayloadRefused):
        event_record(country=cast.fr, action="test.leaky", payload={key: "x"})


def test_an_oversized_payload_is_refused(cast):
    with pytest.raises(PayloadRefused, match=str(MAX_PAYLOAD_BYTES)):
        event_record(country=cast.fr, action="test.big", payload={"notes": "x" * MAX_PAYLOAD_BYTES})
    assert chain(cast.fr) == []


def test_identifiers_are_allowed_in_payloads(cast):
    event = event_record(
        country=cast.fr, action="test.ok", payload={"key_id": "k-2026", "role": "viewer", "organisation": 3}
    )
    assert event.payload == {"key_id": "k-2026", "role": "viewer", "organisation": 3}


# --- Concurrency ------------------------------------------------------------------------------------------

THREADS, PER_THREAD = 8, 200


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_appends_never_fork_the_chain(record_property):
    """8 threads, each on its own connection, append 200 events each to ONE country's chain at once:
    exactly 1600 events, sequences 1..1600 without gap or duplicate, and the chain verifies."""
    country = Country.objects.create(code="CC", name="Concurrency", status="active")
    barrier = threading.Barrier(THREADS)
    errors: list[BaseException] = []

    def append(thread: int) -> None:
        try:
            barrier.wait(timeout=30)
            for i in range(PER_THREAD):
                event_record(country=country, action="test.concurrent", payload={"thread": thread, "i": i})
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=append, args=(n,)) for n in range(THREADS)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    elapsed = time.perf_counter() - started
    assert not any(t.is_alive() for t in threads), "appends did not finish: a deadlock?"
    assert not errors, errors[:3]

    events = chain(country)
    total = THREADS * PER_THREAD
    assert len(events) == total
    assert [e.sequence for e in events] == list(range(1, total + 1))
    assert len({(e.payload["thread"], e.payload["i"]) for e in events}) == total
    for thread in range(THREADS):  # each thread's own appends keep their order in the chain
        steps = [e.payload["i"] for e in events if e.payload["thread"] == thread]
        assert steps == list(range(PER_THREAD))
    report = chain_verify(country=country)
    assert (report.ok, report.events, report.problem) == (True, total, "")
    record_property("events_per_second", round(total / elapsed))
    print(f"\n{total} concurrent appends in {elapsed:.2f} s: {total / elapsed:.0f} events/s")


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_an_open_transaction_does_not_hold_up_other_writers_and_chains_at_its_commit(cast):
    """A writer whose transaction stays open holds no lock: a second writer of the same country
    records and commits meanwhile, and is chained first; the first is chained at its own commit,
    after it. A writer that rolls back leaves no event and no gap."""
    first_recorded, release_first = threading.Event(), threading.Event()

    def first(rollback: bool) -> None:
        try:
            with transaction.atomic():
                event_record(country=cast.fr, action="test.first")
                first_recorded.set()
                assert release_first.wait(timeout=20)
                transaction.set_rollback(rollback)
        finally:
            connection.close()

    for rollback, expected in ((True, ["test.second"]), (False, ["test.second", "test.second", "test.first"])):
        first_recorded.clear(), release_first.clear()
        thread = threading.Thread(target=first, args=(rollback,))
        thread.start()
        assert first_recorded.wait(timeout=20)
        started = time.perf_counter()
        event_record(country=cast.fr, action="test.second")  # its own transaction, committed here
        assert time.perf_counter() - started < 5, "the second writer waited for the open one"
        release_first.set()
        thread.join(timeout=30)
        events = chain(cast.fr)
        assert [e.action for e in events] == expected
        assert [e.sequence for e in events] == list(range(1, len(expected) + 1))
        assert events[0].prev_hash == GENESIS_HASH
        assert chain_verify(country=cast.fr).ok
