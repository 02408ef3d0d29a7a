"""The record off the critical path: events are recorded unchained inside the business transaction
and chained by the database at its commit. The hash the database computes is the one Python and
the offline verifier compute; writers and chaining killed half-way leave no gap, no fork and no
half-recorded change; the one guard of the chains admits the chaining and nothing more."""

from __future__ import annotations

import os
import threading
import time

import dj_database_url
import psycopg2
import pytest
from django.db import connection, transaction
from django.utils import timezone

from tenants.isolation import country_context
from tenants.models import Country, Organisation
from tenants.record.ledger import (
    GENESIS_HASH,
    LOCK_NAMESPACE,
    chain_verify,
    event_fields,
    event_hash,
    event_record,
    platform_event_record,
)
from tenants.record.models import CountryEvent, PlatformEvent

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL")


def chain(country) -> list[CountryEvent]:
    with country_context(country):
        return list(CountryEvent.objects.filter(country=country).order_by("sequence"))


def _connect(*, owner: bool):
    """A connection of its own (a writer we can kill): the runtime role, or the owning role."""
    if owner:
        params = dj_database_url.parse(os.environ["DATABASE_URL"])
        user, password = params["USER"], params.get("PASSWORD") or None
    else:
        user, password = connection.settings_dict["USER"], connection.settings_dict["PASSWORD"] or None
    return psycopg2.connect(
        dbname=connection.settings_dict["NAME"],
        user=user,
        password=password,
        host=connection.settings_dict["HOST"] or "127.0.0.1",
        port=connection.settings_dict["PORT"] or 5432,
    )


def _insert_unchained(cursor, country_id: int, action: str) -> None:
    cursor.execute("SELECT set_config('portal.country_id', %s, true)", [str(country_id)])
    cursor.execute(
        "INSERT INTO tenants_countryevent (country_id, sequence, at, actor_label, actor_role, action, target_type, "
        "target_id, payload, prev_hash, hash) VALUES (%s, NULL, now(), 'system', '', %s, '', '', '{}', '', '')",
        [country_id, action],
    )


def _wait_for(predicate, what: str, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.02)
    pytest.fail(f"timed out waiting for {what}")


def _waiting_on_chain_lock(country_id: int) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND classid = %s "
            "AND objid = %s AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
            [LOCK_NAMESPACE, country_id],
        )
        return cursor.fetchone()[0]


# --- The database's hash is Python's -------------------------------------------------------------

PAYLOADS = [
    {},
    {"a": 1, "b": [1, 2, {"c": None}], "t": True, "f": False},
    {"z": "last", "Z": "upper", "é": "accent", "e": "plain", "日本": "kanji", "😀": "emoji", "a_b": 1, "a": 0},
    {"quote": 'say "hi"', "slash": "a\\b/c", "controls": "\n\r\t\b\f\x01\x1f\x7f", "rtl": "مرحبا"},
    {"big": 2**62, "negative": -17, "zero": 0, "list": [], "nested": {"deeper": {"deepest": ["x", 1, None]}}},
    {"text": "x" * 1000, "mixed": ["é", "\u2028", "\u00a0", "tab\there"]},
]


@pytest.mark.parametrize("payload", PAYLOADS, ids=range(len(PAYLOADS)))
def test_the_database_chains_with_the_hash_python_and_the_offline_verifier_compute(cast, payload):
    event_record(country=cast.fr, action="test.encoding", actor=cast.owner, actor_role="country_admin", payload=payload)
    event_record(country=cast.fr, action="test.encoding", target=cast.fr_ministry, payload=payload)
    events = chain(cast.fr)
    assert [e.sequence for e in events] == [1, 2] and events[0].prev_hash == GENESIS_HASH
    for event in events:
        fields = event_fields(
            chain="FR",
            sequence=event.sequence,
            at=event.at,
            actor_id=event.actor_id,
            actor_role=event.actor_role,
            action=event.action,
            target_type=event.target_type,
            target_id=event.target_id,
            payload=event.payload,
            prev_hash=event.prev_hash,
        )
        assert event.hash == event_hash(fields)
    assert chain_verify(country=cast.fr).ok


def test_the_platform_chain_is_chained_the_same_way(db):
    for i in range(3):
        platform_event_record(action="test.platform", payload={"i": i})
    events = list(PlatformEvent.objects.order_by("sequence"))
    assert [e.sequence for e in events] == [1, 2, 3] and events[0].prev_hash == GENESIS_HASH
    assert chain_verify().ok


def test_a_caller_that_must_name_its_place_gets_it_at_once(cast):
    event_record(country=cast.fr, action="test.first")
    event = event_record(country=cast.fr, action="test.named", chained=True)
    assert (event.sequence, len(event.hash)) == (2, 64)


# --- The guard admits the chaining, once, and nothing else ---------------------------------------


def test_the_guard_admits_no_chaining_from_outside_and_no_rechaining(cast):
    """Even the owning role cannot give an unchained event a place by hand, nor move a chained one,
    nor change anything else while chaining: only portal_chain_pending() chains."""
    owner = _connect(owner=True)
    try:
        with owner.cursor() as cursor:
            cursor.execute(
                "INSERT INTO tenants_country (code, name, status, residency_region, default_language, created_at) "
                "VALUES ('ZQ', 'Guard probe', 'active', 'eu-west', 'en', now()) RETURNING id"
            )
            country_id = cursor.fetchone()[0]
            cursor.execute("SET CONSTRAINTS tenants_countryevent_chain IMMEDIATE")
            _insert_unchained(cursor, country_id, "test.chained")
            cursor.execute("SET CONSTRAINTS tenants_countryevent_chain DEFERRED")
            _insert_unchained(cursor, country_id, "test.unchained")
            cursor.execute(
                "SELECT id, sequence FROM tenants_countryevent WHERE country_id = %s ORDER BY id", [country_id]
            )
            (chained_id, sequence), (pending_id, pending_sequence) = cursor.fetchall()
            assert (sequence, pending_sequence) == (1, None)
            probes = [
                (
                    "",
                    "UPDATE tenants_countryevent SET sequence = 2, prev_hash = 'x', hash = 'y' WHERE id = %s",
                    pending_id,
                ),
                ("on", "UPDATE tenants_countryevent SET sequence = 7, hash = 'y' WHERE id = %s", chained_id),
                (
                    "on",
                    "UPDATE tenants_countryevent SET sequence = 2, hash = 'y', action = 'x' WHERE id = %s",
                    pending_id,
                ),
                ("on", "DELETE FROM tenants_countryevent WHERE id = %s", pending_id),
            ]
            for flag, statement, event_id in probes:
                cursor.execute("SAVEPOINT probe")
                cursor.execute("SELECT set_config('portal.chaining', %s, true)", [flag])
                with pytest.raises(psycopg2.errors.InsufficientPrivilege, match="append-only"):
                    cursor.execute(statement, [event_id])
                cursor.execute("ROLLBACK TO SAVEPOINT probe")
    finally:
        owner.rollback()
        owner.close()


# --- Concurrency and crashes --------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_slow_writer_does_not_delay_the_others_of_its_country():
    """A transaction that recorded an event and stays open 2 s: meanwhile 20 appends of the same
    country each commit at once; the slow one is chained after them at its own commit."""
    country = Country.objects.create(code="SW", name="Slow writer", status="active")
    recorded, done = threading.Event(), threading.Event()

    def slow() -> None:
        try:
            with transaction.atomic():
                event_record(country=country, action="test.slow")
                recorded.set()
                time.sleep(2)
        finally:
            done.set()
            connection.close()

    thread = threading.Thread(target=slow)
    thread.start()
    assert recorded.wait(timeout=20)
    waits = []
    for _ in range(20):
        started = time.perf_counter()
        event_record(country=country, action="test.quick")
        waits.append(time.perf_counter() - started)
    assert not done.is_set(), "the slow writer finished before the others: the test proves nothing"
    thread.join(timeout=30)
    assert max(waits) < 1.5, waits  # a generous bound on a shared machine; `make bench` measures
    events = chain(country)
    assert [e.action for e in events] == ["test.quick"] * 20 + ["test.slow"]
    assert [e.sequence for e in events] == list(range(1, 22))
    assert chain_verify(country=country).ok


@pytest.mark.django_db(transaction=True)
def test_a_writer_killed_mid_transaction_leaves_neither_its_change_nor_its_event():
    country = Country.objects.create(code="KW", name="Killed writer", status="active")
    event_record(country=country, action="test.before")
    writer = _connect(owner=False)
    try:
        with writer.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            pid = cursor.fetchone()[0]
            cursor.execute("SELECT set_config('portal.country_id', %s, true)", [str(country.pk)])
            cursor.execute(
                "INSERT INTO tenants_organisation (country_id, name, acronym, kind, created_at) "
                "VALUES (%s, 'Half-made ministry', '', 'ministry', now())",
                [country.pk],
            )
            for i in range(5):
                _insert_unchained(cursor, country.pk, f"test.lost.{i}")
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
            assert cursor.fetchone()[0]
    finally:
        writer.close()
    event_record(country=country, action="test.after")
    assert [(e.sequence, e.action) for e in chain(country)] == [(1, "test.before"), (2, "test.after")]
    with country_context(country):
        assert not Organisation.objects.filter(name="Half-made ministry").exists()
    assert chain_verify(country=country).ok


@pytest.mark.django_db(transaction=True)
def test_chaining_killed_at_commit_loses_the_whole_transaction_and_leaves_no_gap():
    """A writer of 50 events is killed while its commit chains them (here: while the chaining waits
    for the chain's lock, held by another session): its transaction is gone as a whole, the next
    writers chain from the same head, without gap or fork."""
    country = Country.objects.create(code="KC", name="Killed chaining", status="active")
    event_record(country=country, action="test.before")
    holder, writer = _connect(owner=False), _connect(owner=False)
    committed: list[BaseException | None] = []
    try:
        with holder.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [LOCK_NAMESPACE, country.pk])
        with writer.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            pid = cursor.fetchone()[0]
            for i in range(50):
                _insert_unchained(cursor, country.pk, f"test.batch.{i}")

        def commit() -> None:
            try:
                writer.commit()
                committed.append(None)
            except psycopg2.Error as error:
                committed.append(error)

        thread = threading.Thread(target=commit)
        thread.start()
        _wait_for(lambda: _waiting_on_chain_lock(country.pk) == 1, "the commit to wait on the chain's lock")
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
        thread.join(timeout=20)
        assert committed and committed[0] is not None, "the killed commit went through"
        holder.rollback()
    finally:
        holder.close()
        writer.close()
    event_record(country=country, action="test.after")
    assert [(e.sequence, e.action) for e in chain(country)] == [(1, "test.before"), (2, "test.after")]
    assert chain_verify(country=country).ok


@pytest.mark.django_db(transaction=True)
def test_nothing_is_visible_to_others_before_commit_and_everything_is_chained_after():
    country = Country.objects.create(code="VC", name="Visibility", status="active")
    writer = _connect(owner=False)
    try:
        with writer.cursor() as cursor:
            for i in range(3):
                _insert_unchained(cursor, country.pk, f"test.pending.{i}")
        assert chain(country) == []
        started = timezone.now()
        writer.commit()
    finally:
        writer.close()
    events = chain(country)
    assert [e.sequence for e in events] == [1, 2, 3] and all(len(e.hash) == 64 for e in events)
    assert all(e.at <= timezone.now() and e.at <= started for e in events)
    assert chain_verify(country=country).ok


@pytest.mark.parametrize("payload", PAYLOADS, ids=range(len(PAYLOADS)))
def test_verifications_written_out_hash_is_the_canonical_one(payload):
    from datetime import UTC, datetime, timedelta
    from datetime import timezone as tz

    from tenants.record.ledger import _verified_hash

    moments = [
        datetime(2026, 12, 2, 20, 0, 0, 0, tzinfo=UTC),
        datetime(2026, 12, 2, 20, 0, 0, 123456, tzinfo=UTC),
        datetime(2026, 12, 2, 22, 0, 0, 5, tzinfo=tz(timedelta(hours=2))),
    ]
    for at in moments:
        for actor_id, role, target in ((None, "", ""), (42, "country_admin", "tenants.organisation")):
            fields = event_fields(
                chain="FR",
                sequence=7,
                at=at,
                actor_id=actor_id,
                actor_role=role,
                action='test.é\\"',
                target_type=target,
                target_id="12",
                payload=payload,
                prev_hash="a" * 64,
            )
            written_out = _verified_hash('"FR"', 7, at, actor_id, role, 'test.é\\"', target, "12", payload, "a" * 64)
            assert written_out == event_hash(fields)


def test_verification_of_stored_rows_computes_the_canonical_hash_and_finds_every_break():
    """The loop that verifies the stored chain (its encoding written inline) against event_hash,
    over every kind of payload, person, time and text, and each break it must find."""
    import json
    from datetime import UTC, datetime

    from tenants.record.ledger import ChainReport, _verify_stored_rows, format_time

    rows, prev = [], GENESIS_HASH
    moments = [datetime(2026, 12, 2, 20, 0, 0, 0, tzinfo=UTC), datetime(1, 1, 1, 0, 0, 0, 5, tzinfo=UTC)]
    for n, payload in enumerate(PAYLOADS * 2, start=1):
        at = moments[n % 2]
        actor_id, role, target = (None, "", "") if n % 3 else (42, "country_admin", "tenants.organisation")
        action = 'test.é\\"\u2028' if n % 2 else "test.plain"
        fields = event_fields(
            chain="FR",
            sequence=n,
            at=at,
            actor_id=actor_id,
            actor_role=role,
            action=action,
            target_type=target,
            target_id=str(n),
            payload=payload,
            prev_hash=prev,
        )
        own = event_hash(fields)
        rows.append((n, format_time(at), actor_id, role, action, target, str(n), json.dumps(payload), prev, own))
        prev = own
    report = ChainReport("FR")
    assert _verify_stored_rows(report, rows, {3, len(rows)}) == {3: rows[2][-1], len(rows): rows[-1][-1]}
    assert (report.ok, report.events) == (True, len(rows))

    def broken(index: int, column: int, value) -> ChainReport:
        changed = list(rows)
        changed[index] = (*rows[index][:column], value, *rows[index][column + 1 :])
        report = ChainReport("FR")
        _verify_stored_rows(report, changed, set())
        return report

    assert "altered" in broken(4, 7, json.dumps({**PAYLOADS[4], "zero": 1})).problem
    assert "altered" in broken(5, 4, "test.other").problem
    assert "altered" in broken(5, 2, 43).problem
    assert "follow" in broken(6, 8, "f" * 64).problem
    assert "time no event can hold" in broken(2, 1, None).problem
    assert "expected" in broken(3, 0, 9).problem
    assert broken(3, 0, 9).events == 4
