"""Ledger benchmarks: appends per second with concurrent writers on one chain, and verification
speed on a chain of (by default) one million events."""

from __future__ import annotations

import io
import json
import threading
import time
import tracemalloc

from django.db import connection


def _country(code: str, name: str):
    from tenants.models import Country

    country, _ = Country.objects.get_or_create(code=code, defaults={"name": name})
    return country


def appends(country, writers: int, per_writer: int, *, legacy: bool = False) -> tuple[float, int]:
    errors: list[BaseException] = []
    barrier = threading.Barrier(writers)

    def writer(n: int) -> None:
        try:
            barrier.wait()
            for i in range(per_writer):
                _record(country, "bench.append", {"writer": n, "i": i}, legacy=legacy)
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(writers)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    if errors:
        raise errors[0]
    return elapsed, writers * per_writer


def legacy_append(country, action: str, payload: dict) -> None:
    """The baseline, as event_record was before the chaining moved to commit: the chain's advisory
    lock taken inside the recording transaction (held until it commits), the head read, the hash
    computed in Python, a chained row inserted (which the commit-time trigger leaves alone)."""
    from django.db import transaction
    from django.utils import timezone

    from tenants.isolation import country_context
    from tenants.record.ledger import GENESIS_HASH, LOCK_NAMESPACE, event_fields, event_hash
    from tenants.record.models import CountryEvent

    with transaction.atomic(), country_context(country):
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [LOCK_NAMESPACE, country.pk])
        last = (
            CountryEvent.objects.filter(country_id=country.pk, sequence__isnull=False)
            .order_by("-sequence")
            .values_list("sequence", "hash")
            .first()
        )
        sequence, prev_hash = (last[0] + 1, last[1]) if last else (1, GENESIS_HASH)
        at = timezone.now()
        fields = event_fields(
            chain=country.code,
            sequence=sequence,
            at=at,
            actor_id=None,
            actor_role="",
            action=action,
            target_type="",
            target_id="",
            payload=payload,
            prev_hash=prev_hash,
        )
        CountryEvent.objects.create(
            country_id=country.pk,
            sequence=sequence,
            at=at,
            actor_label="system",
            action=action,
            payload=payload,
            prev_hash=prev_hash,
            hash=event_hash(fields),
        )


def legacy_verify(*, country):
    """The baseline: chain_verify as it was before verification read its rows as text (the ORM's
    server-side iterator over every column, a datetime and a dict built for each event)."""
    from django.db import transaction

    from tenants.isolation import country_context
    from tenants.record import ledger
    from tenants.record.models import CountryCheckpoint, CountryEvent

    report = ledger.ChainReport(country.code)
    with transaction.atomic(), country_context(country):
        rows = (
            CountryEvent.objects.filter(country_id=country.pk, sequence__isnull=False)
            .order_by("sequence")
            .values_list(*ledger.EVENT_COLUMNS)
            .iterator(chunk_size=5000)
        )
        checkpoints = list(CountryCheckpoint.objects.filter(country_id=country.pk).order_by("sequence"))
        hashes = ledger._verify_rows(report, rows, {c.sequence for c in checkpoints})
        ledger._verify_checkpoints(report, checkpoints, hashes)
    return report


def _record(country, action: str, payload: dict, *, legacy: bool) -> None:
    from tenants.record.ledger import event_record

    if legacy:
        legacy_append(country, action, payload)
    else:
        event_record(country=country, action=action, payload=payload)


def slow_writer(country, *, legacy: bool, hold: float = 2.0, appends: int = 20) -> tuple[float, float]:
    """A transaction that records an event and stays open `hold` seconds; meanwhile another writer
    of the same country appends `appends` times. Returns (slowest, median) of those appends."""
    from django.db import transaction

    recorded = threading.Event()

    def slow() -> None:
        try:
            with transaction.atomic():
                _record(country, "bench.slow", {}, legacy=legacy)
                recorded.set()
                time.sleep(hold)
        finally:
            connection.close()

    thread = threading.Thread(target=slow)
    thread.start()
    recorded.wait()
    waits = []
    for i in range(appends):
        started = time.perf_counter()
        _record(country, "bench.quick", {"i": i}, legacy=legacy)
        waits.append(time.perf_counter() - started)
    thread.join()
    connection.close()
    waits.sort()
    return waits[-1], waits[len(waits) // 2]


def load_chain(country, events: int) -> float:
    """Write a valid chain of `events` events with COPY (as the owner): setup, not measured."""
    from django.utils import timezone

    from tenants.record.ledger import GENESIS_HASH, event_fields, event_hash, format_time

    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE tenants_countryevent DISABLE TRIGGER tenants_countryevent_append_only")
        cursor.execute("DELETE FROM tenants_countryevent WHERE country_id = %s", [country.pk])
        cursor.execute("ALTER TABLE tenants_countryevent ENABLE TRIGGER tenants_countryevent_append_only")
        prev, at = GENESIS_HASH, timezone.now()
        stamp = format_time(at)
        batch = io.StringIO()
        for sequence in range(1, events + 1):
            payload = {"n": sequence}
            fields = event_fields(
                chain=country.code,
                sequence=sequence,
                at=stamp,
                actor_id=None,
                actor_role="bench",
                action="bench.loaded",
                target_type="",
                target_id="",
                payload=payload,
                prev_hash=prev,
            )
            own = event_hash(fields)
            batch.write(
                f"{country.pk}\t{sequence}\t{stamp}\t\\N\tsystem\tbench\tbench.loaded\t\t\t"
                f"{json.dumps(payload)}\t{prev}\t{own}\n"
            )
            prev = own
            if sequence % 100_000 == 0 or sequence == events:
                batch.seek(0)
                cursor.copy_expert(
                    "COPY tenants_countryevent (country_id, sequence, at, actor_id, actor_label, actor_role, action, "
                    "target_type, target_id, payload, prev_hash, hash) FROM STDIN",
                    batch,
                )
                batch = io.StringIO()
    return time.perf_counter() - started


def run(args, *, as_owner, as_runtime) -> str:
    from tenants.isolation import country_context
    from tenants.record.ledger import chain_verify
    from tenants.record.models import CountryEvent

    lines = ["### Ledger", ""]
    as_owner()
    appenders = _country("XA", "Bench appends")
    verified = _country("XV", "Bench verification")
    as_runtime()

    rows = []
    for legacy in (True, False, True, False):  # alternated, so that the machine's load falls on both
        one = appends(appenders, 1, args.appends, legacy=legacy)
        many = appends(appenders, args.writers, args.appends, legacy=legacy)
        rows.append((legacy, one, many))
    slow = {legacy: slow_writer(appenders, legacy=legacy) for legacy in (True, False)}
    report = chain_verify(country=appenders)

    def best(legacy: bool, index: int) -> tuple[float, int]:
        return min((r[index] for r in rows if r[0] == legacy), key=lambda r: r[0] / r[1])

    name = {True: "baseline: lock held through the recording transaction", False: "chained at commit (now)"}
    lines += [
        "Appends each in its own transaction, as the runtime role under row-level security. Baseline: the "
        "previous `event_record` (advisory lock per chain taken inside the recording transaction, read of the "
        "head, hash in Python, insert; the lock held until commit). Now: `event_record` inserts the event "
        "unchained with no lock; a deferred constraint trigger chains it at commit (lock, head, hash in SQL, "
        "update), so the lock is held from chaining to the end of the commit. Best of two alternated runs each.",
        "",
        "| design | writers | appends | seconds | appends per second |",
        "|---|---|---|---|---|",
    ]
    for legacy in (True, False):
        for index, writers in ((1, 1), (2, args.writers)):
            elapsed, count = best(legacy, index)
            lines.append(f"| {name[legacy]} | {writers} | {count} | {elapsed:.2f} | {count / elapsed:,.0f} |")
    lines += [
        "",
        "A slow writer: one transaction records an event and stays open 2 s; meanwhile another writer of the "
        "same country appends 20 times (each its own transaction). Slowest and median of those 20 appends:",
        "",
        "| design | slowest append | median append |",
        "|---|---|---|",
        *(
            f"| {name[legacy]} | {slow[legacy][0] * 1000:,.1f} ms | {slow[legacy][1] * 1000:,.1f} ms |"
            for legacy in (True, False)
        ),
        "",
        f"After these runs the chain holds {report.events} events and verifies: "
        f"{'yes' if report.ok else 'NO — ' + report.problem}.",
        "",
    ]

    as_owner()
    with country_context(verified):
        existing = CountryEvent.objects.filter(country_id=verified.pk).count()
    load_seconds = None
    if existing != args.events:
        load_seconds = load_chain(verified, args.events)
    as_runtime()

    timings: dict[str, list[float]] = {"baseline": [], "now": []}
    for _ in range(args.verify_rounds):  # alternated, so that the machine's load falls on both
        for name, function in (("baseline", legacy_verify), ("now", chain_verify)):
            started = time.perf_counter()
            result = function(country=verified)
            timings[name].append(time.perf_counter() - started)
            if not result.ok:
                raise RuntimeError(f"{name}: the loaded chain does not verify: {result.problem}")
    # Memory in separate runs: tracemalloc slows allocation-heavy code several times over.
    peaks = {}
    for name, function in (("baseline", legacy_verify), ("now", chain_verify)):
        tracemalloc.start()
        function(country=verified)
        peaks[name] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    lines += [
        f"Verification of one chain of {result.events:,} events (`chain_verify`: recompute every SHA-256 over the "
        "canonical encoding, check sequence and links, streamed). Baseline: the previous `chain_verify` (the "
        "ORM's server-side iterator over every column, a datetime and a dict per event, 5,000 rows a fetch); "
        "now: the columns as text (the time formatted by the database in the encoding's form, the payload as "
        f"JSON text) through a server-side cursor, 5,000 rows a fetch. Best of {args.verify_rounds} alternated "
        "runs each; the peak memory in a run of its own (tracemalloc slows allocation).",
        "",
        "| verification | events | every run (s) | best (s) | events per second | peak Python memory | result |",
        "|---|---|---|---|---|---|---|",
    ]
    for name in ("baseline", "now"):
        elapsed = min(timings[name])
        runs = ", ".join(f"{t:.1f}" for t in timings[name])
        lines.append(
            f"| {name} | {result.events:,} | {runs} | {elapsed:.1f} | {result.events / elapsed:,.0f} | "
            f"{peaks[name] / 1e6:.1f} MB (tracemalloc) | {'valid' if result.ok else result.problem} |"
        )
    lines.append("")
    if load_seconds is not None:
        lines.append(f"(Loading the chain with COPY took {load_seconds:.1f} s; not part of the figure.)\n")
    return "\n".join(lines)
