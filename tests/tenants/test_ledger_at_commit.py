"""The record off the critical path: events are committed unchained with the business transaction,
and chained right after its commit, in batches, by a short transaction of their own (and by a sweep
for what a stopped process left waiting). The hash the database computes is the one Python and the
offline verifier compute; writers killed before their commit leave no change and no event, writers
killed between their commit and the chaining lose nothing, a chaining killed half-way leaves no gap
and no fork; nobody reads an event before it is chained; the one guard of the chains admits the
chaining and nothing more; the runtime role chains only the chains of its scope."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

import dj_database_url
import psycopg2
import pytest
from django.db import connection, transaction

from tenants.isolation import country_context
from tenants.models import Country, Organisation
from tenants.record.chaining import LOCK_NAMESPACE
from tenants.record.ledger import (
    GENESIS_HASH,
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
    nor change anything else while chaining: only portal_chain_committed() chains."""
    owner = _connect(owner=True)
    try:
        with owner.cursor() as cursor:
            cursor.execute(
                "INSERT INTO tenants_country (code, name, status, residency_region, default_language, created_at) "
                "VALUES ('ZQ', 'Guard probe', 'active', 'eu-west', 'en', now()) RETURNING id"
            )
            country_id = cursor.fetchone()[0]
            _insert_unchained(cursor, country_id, "test.chained")
            cursor.execute("SELECT portal_chain_committed(%s)", [country_id])
            assert cursor.fetchone()[0] == 1
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


def _commit_unchained(country_id: int, actions: list[str]) -> None:
    """A writer that committed its events and stopped before chaining them (as the runtime role)."""
    writer = _connect(owner=False)
    try:
        with writer.cursor() as cursor:
            for action in actions:
                _insert_unchained(cursor, country_id, action)
        writer.commit()
    finally:
        writer.close()


def _waiting(country) -> list[str]:
    with country_context(country):
        return list(
            CountryEvent.objects.filter(country=country, sequence__isnull=True)
            .order_by("id")
            .values_list("action", flat=True)
        )


def _advisory_locks_held_by_me() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted AND classid = %s "
            "AND pid = pg_backend_pid()",
            [LOCK_NAMESPACE],
        )
        return cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True)
def test_the_caller_finds_its_events_chained_when_its_transaction_has_committed():
    """Chained right after the commit, in the same call: what returns to the caller is on the chain,
    and the chaining held the chain's lock only in its own short transaction."""
    country = Country.objects.create(code="CA", name="Chained after", status="active")
    with transaction.atomic():
        first = event_record(country=country, action="test.one")
        second = event_record(country=country, action="test.two")
        assert first.sequence is None and _waiting(country) == ["test.one", "test.two"]
        assert _advisory_locks_held_by_me() == 0  # recording takes no lock
    assert _waiting(country) == []
    assert [(e.sequence, e.pk) for e in chain(country)] == [(1, first.pk), (2, second.pk)]
    assert _advisory_locks_held_by_me() == 0
    platform_event_record(action="test.platform")
    assert PlatformEvent.objects.filter(sequence__isnull=True).count() == 0


@pytest.mark.django_db(transaction=True)
def test_a_chaining_that_fails_after_the_commit_costs_the_caller_nothing_and_the_next_one_catches_up(
    monkeypatch, caplog
):
    """The chaining after the commit raises (the database gone for a moment): the business
    transaction stays committed, the caller gets no error, the failure is logged, and the event
    waits, unchained and unseen, until the next chaining puts it in place."""
    from tenants.record import chaining

    country = Country.objects.create(code="CF", name="Chaining fails", status="active")
    event_record(country=country, action="test.before")
    real = chaining._chain_here

    def broken(country_id):
        raise psycopg2.OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(chaining, "_chain_here", broken)
    with caplog.at_level("WARNING", logger="tenants.record.chaining"):
        with transaction.atomic(), country_context(country):
            organisation = Organisation.objects.create(country=country, name="Kept", kind="ministry")
            event_record(country=country, action="test.waiting")
    assert "Chaining after the commit failed (OperationalError)" in caplog.text
    with country_context(country):
        assert Organisation.objects.filter(pk=organisation.pk).exists()  # the business change stays
    assert _waiting(country) == ["test.waiting"]
    assert [(e.sequence, e.action) for e in chain(country)] == [(1, "test.before"), (None, "test.waiting")]
    monkeypatch.setattr(chaining, "_chain_here", real)
    event_record(country=country, action="test.after")
    assert [(e.sequence, e.action) for e in chain(country)] == [
        (1, "test.before"),
        (2, "test.waiting"),
        (3, "test.after"),
    ]
    assert _waiting(country) == [] and chain_verify(country=country).ok


@pytest.mark.django_db(transaction=True)
def test_eight_writers_on_one_chain_leave_no_gap_no_fork_and_each_its_own_order():
    country = Country.objects.create(code="EW", name="Eight writers", status="active")
    errors: list[BaseException] = []
    barrier = threading.Barrier(8)

    def writer(n: int) -> None:
        try:
            barrier.wait()
            for i in range(15):
                with transaction.atomic():
                    event = event_record(country=country, action="test.concurrent", payload={"w": n, "i": i})
                with country_context(country):
                    assert CountryEvent.objects.get(pk=event.pk).sequence is not None, "returned unchained"
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    events = chain(country)
    assert [e.sequence for e in events] == list(range(1, 121))
    for n in range(8):
        assert [e.payload["i"] for e in events if e.payload["w"] == n] == list(range(15))
    assert chain_verify(country=country).ok


WRITER_KILLED_AFTER_COMMIT = """
import os, signal, sys
import django
django.setup()
from django.db import transaction
from tenants.isolation import country_context
from tenants.models import Country, Organisation
from tenants.record.ledger import event_record
country = Country.objects.get(pk=int(sys.argv[1]))
with transaction.atomic():
    # Registered before the chaining's own callback, so it runs first: the process dies after the
    # commit and before the chaining.
    transaction.on_commit(lambda: os.kill(os.getpid(), signal.SIGKILL))
    with country_context(country):
        Organisation.objects.create(country=country, name="Made before the kill", kind="ministry")
    event_record(country=country, action="test.killed.0")
    event_record(country=country, action="test.killed.1")
"""


@pytest.mark.django_db(transaction=True)
def test_a_writer_killed_between_its_commit_and_the_chaining_loses_nothing():
    """A process killed (SIGKILL) right after its commit: its change and its events are committed,
    nobody reads the events while they wait, and the sweep chains them, in order, with no gap."""
    from tenants.record.chaining import chain_sweep
    from tenants.record.selectors import event_list
    from tests.workers import ROOT, worker_env

    country = Country.objects.create(code="KA", name="Killed after commit", status="active")
    event_record(country=country, action="test.before")
    env = worker_env("unused", DJANGO_SETTINGS_MODULE="portal.settings")
    done = subprocess.run(
        [sys.executable, "-c", WRITER_KILLED_AFTER_COMMIT, str(country.pk)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        timeout=120,
    )
    assert done.returncode == -signal.SIGKILL, done.stderr.decode()[-2000:]
    with country_context(country):
        assert Organisation.objects.filter(name="Made before the kill").exists()
        assert [e.action for e in event_list(country=country)] == ["test.before"]
    assert _waiting(country) == ["test.killed.0", "test.killed.1"]
    assert chain_sweep() == 2
    assert [(e.sequence, e.action) for e in chain(country)] == [
        (1, "test.before"),
        (2, "test.killed.0"),
        (3, "test.killed.1"),
    ]
    assert chain_verify(country=country).ok


@pytest.mark.django_db(transaction=True)
def test_the_next_writer_chains_what_a_stopped_one_left_waiting_before_its_own():
    country = Country.objects.create(code="NW", name="Next writer", status="active")
    event_record(country=country, action="test.before")
    _commit_unchained(country.pk, ["test.left.0", "test.left.1"])
    event_record(country=country, action="test.after")
    assert [(e.sequence, e.action) for e in chain(country)] == [
        (1, "test.before"),
        (2, "test.left.0"),
        (3, "test.left.1"),
        (4, "test.after"),
    ]
    assert chain_verify(country=country).ok


@pytest.mark.django_db(transaction=True)
def test_a_chaining_killed_half_way_loses_nothing_and_leaves_no_gap():
    """A chaining transaction killed after it gave 25 of 50 waiting events their place, holding the
    chain's lock: its work is undone as a whole, the 50 events still wait, and the next chaining
    chains them all, from the same head."""
    country = Country.objects.create(code="KC", name="Killed chaining", status="active")
    event_record(country=country, action="test.before")
    _commit_unchained(country.pk, [f"test.batch.{i}" for i in range(50)])
    holder, chainer = _connect(owner=True), _connect(owner=False)
    finished: list[BaseException | None] = []
    try:
        with holder.cursor() as cursor:  # a lock on the 26th waiting row stops the chaining there
            cursor.execute(
                "SELECT id FROM tenants_countryevent WHERE country_id = %s AND sequence IS NULL ORDER BY id "
                "OFFSET 25 LIMIT 1 FOR UPDATE",
                [country.pk],
            )
        with chainer.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            pid = cursor.fetchone()[0]
            cursor.execute("SELECT set_config('portal.country_id', %s, true)", [str(country.pk)])

        def chain_them() -> None:
            try:
                with chainer.cursor() as cursor:
                    cursor.execute("SELECT portal_chain_committed(%s)", [country.pk])
                chainer.commit()
                finished.append(None)
            except psycopg2.Error as error:
                finished.append(error)

        thread = threading.Thread(target=chain_them)
        thread.start()

        def stopped_on_the_row() -> bool:
            with connection.cursor() as cursor:
                cursor.execute("SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", [pid])
                row = cursor.fetchone()
                return row is not None and row[0] == "Lock"

        _wait_for(stopped_on_the_row, "the chaining to stop on the held row")
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted AND classid = %s "
                "AND objid = %s AND pid = %s",
                [LOCK_NAMESPACE, country.pk, pid],
            )
            assert cursor.fetchone()[0] == 1, "the chaining does not hold the chain's lock"
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
        thread.join(timeout=20)
        assert finished and finished[0] is not None, "the killed chaining went through"
        holder.rollback()
    finally:
        holder.close()
        chainer.close()
    assert len(_waiting(country)) == 50
    event_record(country=country, action="test.after")
    events = chain(country)
    assert [e.sequence for e in events] == list(range(1, 53))
    assert [e.action for e in events] == ["test.before", *(f"test.batch.{i}" for i in range(50)), "test.after"]
    assert chain_verify(country=country).ok


@pytest.mark.django_db(transaction=True)
def test_nothing_is_visible_to_others_before_commit_and_waiting_events_are_read_by_no_one():
    """Before its commit a writer's events are invisible; after it, until chained, they are on no
    page, list, extract, verification or checkpoint: readers inside a transaction read the chained
    events without taking the chain's lock; verification, extracts and checkpoints started outside
    one chain what waits first."""
    from tenants.record.exports import ledger_segment_bounds
    from tenants.record.ledger import checkpoint_create
    from tenants.record.selectors import chain_length, event_list

    country = Country.objects.create(code="VC", name="Visibility", status="active")
    event_record(country=country, action="test.first")
    writer = _connect(owner=False)
    try:
        with writer.cursor() as cursor:
            for i in range(3):
                _insert_unchained(cursor, country.pk, f"test.pending.{i}")
        assert [e.action for e in chain(country)] == ["test.first"]
        assert _waiting(country) == []
        writer.commit()
    finally:
        writer.close()
    assert _waiting(country) == ["test.pending.0", "test.pending.1", "test.pending.2"]
    with transaction.atomic():
        with country_context(country):
            assert [e.sequence for e in event_list(country=country)] == [1]
            assert chain_length(country=country) == 1
        report = chain_verify(country=country)
        assert (report.ok, report.events) == (True, 1)
        assert ledger_segment_bounds(country=country, first=None, last=None) == (1, 1)
        assert _advisory_locks_held_by_me() == 0
    assert ledger_segment_bounds(country=country, first=None, last=None) == (1, 4)  # chained first
    assert _waiting(country) == []
    _commit_unchained(country.pk, ["test.pending.3"])
    checkpoint = checkpoint_create(country=country)
    assert checkpoint.sequence == 5
    events = chain(country)
    assert [e.sequence for e in events] == [1, 2, 3, 4, 5] and all(len(e.hash) == 64 for e in events)
    assert chain_verify(country=country).ok


@pytest.mark.django_db(transaction=True)
def test_the_runtime_role_chains_only_the_chains_of_its_scope():
    here = Country.objects.create(code="SH", name="Scope here", status="active")
    there = Country.objects.create(code="ST", name="Scope there", status="active")
    _commit_unchained(there.pk, ["test.there"])
    runtime = _connect(owner=False)
    try:
        with runtime.cursor() as cursor:
            for scope in ("", str(here.pk)):
                cursor.execute("SELECT set_config('portal.country_id', %s, true)", [scope])
                with pytest.raises(psycopg2.errors.InsufficientPrivilege, match="scope"):
                    cursor.execute("SELECT portal_chain_committed(%s)", [there.pk])
                runtime.rollback()
    finally:
        runtime.close()
    assert _waiting(there) == ["test.there"]
    assert chain_verify(country=there).ok and _waiting(there) == []


@pytest.mark.django_db(transaction=True)
def test_a_worker_that_starts_chains_what_waits():
    """The sweep a worker asks for when it starts: events left waiting are chained without a beat."""
    from tests.workers import worker_start

    country = Country.objects.create(code="WS", name="Worker start", status="active")
    _commit_unchained(country.pk, ["test.left.0", "test.left.1"])
    platform = _connect(owner=False)
    try:
        with platform.cursor() as cursor:
            cursor.execute(
                "INSERT INTO tenants_platformevent (sequence, at, actor_label, actor_role, action, target_type, "
                "target_id, payload, prev_hash, hash) VALUES (NULL, now(), 'system', '', 'test.left', '', '', "
                "'{}', '', '')"
            )
        platform.commit()
    finally:
        platform.close()
    queue = f"ledger-start-{os.getpid()}"
    with open(os.devnull, "w") as log:
        worker = worker_start(queue=queue, name=f"{queue}@%h", log=log, pool="solo")
        try:
            _wait_for(
                lambda: not _waiting(country) and not PlatformEvent.objects.filter(sequence__isnull=True).exists(),
                "the worker's start-up sweep",
                timeout=90,
            )
        finally:
            worker.terminate()
            worker.wait(timeout=30)
    assert [e.action for e in chain(country)] == ["test.left.0", "test.left.1"]
    assert chain_verify(country=country).ok and chain_verify().ok


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
