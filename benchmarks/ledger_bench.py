"""Ledger benchmarks: appends per second with concurrent writers on one chain, and verification
speed on a chain of (by default) one million events."""

from __future__ import annotations

import io
import json
import os
import statistics
import threading
import time
import tracemalloc

from django.db import connection


def _country(code: str, name: str):
    from tenants.models import Country

    country, _ = Country.objects.get_or_create(code=code, defaults={"name": name})
    return country


DESIGNS = ("at_commit", "after_commit", "insert_only")
DESIGN_NAMES = {
    "at_commit": "baseline: chained inside the recording transaction, lock held through its commit",
    "after_commit": "now: committed unchained, chained after commit in batches",
    "insert_only": "reference: the insert and its commit alone, never chained (no design does less)",
}


def appends(
    country, writers: int, per_writer: int, *, design: str, processes: bool = False
) -> tuple[float, int, float]:
    """(seconds, appends, writers' CPU seconds) of `writers` writers appending `per_writer` each."""
    measure = _appends_in_processes if processes else _appends_in_threads
    measured = measure(country, writers, per_writer, design=design)
    if design == "insert_only":
        from tenants.record.chaining import chain_catch_up

        chain_catch_up(country=country)  # the reference's events chained, outside the measure
        connection.close()
    return measured


def _appends_in_threads(country, writers: int, per_writer: int, *, design: str) -> tuple[float, int, float]:
    errors: list[BaseException] = []
    barrier = threading.Barrier(writers)

    def writer(n: int) -> None:
        try:
            barrier.wait()
            for i in range(per_writer):
                _record(country, "bench.append", {"writer": n, "i": i}, design=design)
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(writers)]
    started, cpu = time.perf_counter(), time.process_time()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    if errors:
        raise errors[0]
    return elapsed, writers * per_writer, cpu


def _appends_in_processes(country, writers: int, per_writer: int, *, design: str) -> tuple[float, int, float]:
    """The same appends, each writer a process of its own (as gunicorn's workers are), forked with
    no database connection open; timed from the moment all of them are ready. CPU: the writers'."""
    import multiprocessing
    import resource

    from django.db import connections

    context = multiprocessing.get_context("fork")
    ready = context.Barrier(writers + 1)
    failures = context.Queue()

    def writer(n: int) -> None:
        try:
            ready.wait()
            for i in range(per_writer):
                _record(country, "bench.append", {"writer": n, "i": i}, design=design)
        except BaseException as error:  # noqa: BLE001 - reported by the parent
            failures.put(repr(error))
            raise
        finally:
            connection.close()

    connections.close_all()  # a child must open its own connection, never share the parent's
    children = [context.Process(target=writer, args=(n,)) for n in range(writers)]
    for child in children:
        child.start()
    cpu = resource.getrusage(resource.RUSAGE_CHILDREN)
    ready.wait()
    started = time.perf_counter()
    for child in children:
        child.join()
    elapsed = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu_seconds = (after.ru_utime - cpu.ru_utime) + (after.ru_stime - cpu.ru_stime)
    if not failures.empty() or any(child.exitcode for child in children):
        raise RuntimeError(f"a writer failed: {failures.get() if not failures.empty() else 'exit code'}")
    return elapsed, writers * per_writer, cpu_seconds


def _record(country, action: str, payload: dict, *, design: str, recorded=None, hold: float = 0.0) -> None:
    """One append in a transaction of its own (opened in the country's context, as a request's is),
    held open `hold` seconds after the event is recorded (`recorded`, a threading.Event, is set then).

    after_commit: event_record as it is: the event committed unchained, chained right after the
    commit by a statement of its own (the lock held for its batch and its flush).
    at_commit: the design before (tenants 0017), whose deferred trigger chained the transaction's
    events inside its COMMIT, under the chain's lock, released after the commit's flush. Reproduced
    with the same chaining function, run in the recording transaction as the last thing before its
    commit (one statement more than the trigger inside COMMIT was).
    insert_only: the row inserted and committed, never chained: the floor of any design."""
    from django.utils import timezone

    from tenants.isolation import country_context
    from tenants.record.chaining import chain_pending_now
    from tenants.record.ledger import event_record
    from tenants.record.models import CountryEvent

    with country_context(country):  # the transaction itself, opened as the middleware opens a request's
        if design == "insert_only":
            CountryEvent.objects.create(
                country_id=country.pk, at=timezone.now(), actor_label="system", action=action, payload=payload
            )
            return
        if design == "at_commit" and not hold:
            chain_pending_now()  # chained as it is recorded, just before the commit
        event_record(country=country, action=action, payload=payload)
        if recorded is not None:
            recorded.set()
        if hold:
            time.sleep(hold)
        if design == "at_commit" and hold:
            chain_pending_now()  # the held transaction chains at its end, as the trigger did


def slow_writer(country, *, design: str, hold: float = 2.0, appends: int = 20) -> tuple[float, float]:
    """A transaction that records an event and stays open `hold` seconds; meanwhile another writer
    of the same country appends `appends` times. Returns (slowest, median) of those appends. With
    no `hold`, the same appends with no slow writer: what they take on this machine anyway."""
    recorded = threading.Event()

    def slow() -> None:
        try:
            _record(country, "bench.slow", {}, design=design, recorded=recorded, hold=hold)
        finally:
            connection.close()

    thread = threading.Thread(target=slow)
    if hold:
        thread.start()
        recorded.wait()
    waits = []
    for i in range(appends):
        started = time.perf_counter()
        _record(country, "bench.quick", {"i": i}, design=design)
        waits.append(time.perf_counter() - started)
    if hold:
        assert thread.is_alive(), "the slow writer ended before the others: nothing was measured"
        thread.join()
    connection.close()
    waits.sort()
    return waits[-1], waits[len(waits) // 2]


def _cpu_seconds(pid: int) -> float | None:
    """User and system CPU seconds of a process on this machine (a database backend), or None."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


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
    for round_ in range(args.append_rounds):  # alternated, each round in the reverse order of the one before
        for design in DESIGNS if round_ % 2 == 0 else DESIGNS[::-1]:
            one = appends(appenders, 1, args.appends, design=design)
            many = appends(appenders, args.writers, args.appends, design=design)
            forked = appends(appenders, args.writers, args.appends, design=design, processes=True)
            rows.append((design, one, many, forked))
    slow = {}
    for design in DESIGNS[:2]:
        slow[design] = slow_writer(appenders, design=design)
        slow[design, "alone"] = slow_writer(appenders, design=design, hold=0)
    report = chain_verify(country=appenders)

    def runs(design: str, index: int) -> list[float]:
        return [r[index][1] / r[index][0] for r in rows if r[0] == design]

    lines += [
        "Appends each in its own transaction, as the runtime role under row-level security; the writers "
        "threads of one process (as one web server's threads are), or processes (as gunicorn's workers are: "
        "their Python runs on both cores at once). Baseline: the design before, in which "
        "the recording transaction chained its events at its commit and so held the chain's lock through the "
        "commit's flush (reproduced with the same chaining function run as the last statement before COMMIT). "
        "Now: the event committed unchained, then a short transaction of its own chains every waiting event "
        f"of the chain in one batch. {args.append_rounds} rounds, alternated (each in the reverse order of the one "
        "before); every round's figure and the best.",
        "",
        "The reference row inserts and commits the same rows and never chains them: what this machine allows "
        "any design. CPU: the writers' own (the Python side of each append), per append.",
        "",
        "| design | writers | appends per round | appends per second, each round | best | Python CPU per append |",
        "|---|---|---|---|---|---|",
    ]
    shapes = ((1, "1"), (2, f"{args.writers} threads"), (3, f"{args.writers} processes"))
    for design in DESIGNS:
        for index, writers in shapes:
            figures = runs(design, index)
            each = ", ".join(f"{f:,.0f}" for f in figures)
            cpu = min(r[index][2] / r[index][1] for r in rows if r[0] == design) * 1000
            count = args.appends * (1 if index == 1 else args.writers)
            lines.append(
                f"| {DESIGN_NAMES[design]} | {writers} | {count} | {each} | {max(figures):,.0f} | {cpu:.2f} ms |"
            )
    lines += [
        "",
        "A slow writer: one transaction records an event and stays open 2 s; meanwhile another writer of the "
        "same country appends 20 times (each its own transaction). Slowest and median of those 20 appends, "
        "beside the same 20 appends with no slow writer, just after:",
        "",
        "| design | slowest append | median append | alone: slowest | alone: median |",
        "|---|---|---|---|---|",
        *(
            f"| {DESIGN_NAMES[design]} | {slow[design][0] * 1000:,.1f} ms | {slow[design][1] * 1000:,.1f} ms | "
            f"{slow[design, 'alone'][0] * 1000:,.1f} ms | {slow[design, 'alone'][1] * 1000:,.1f} ms |"
            for design in DESIGNS[:2]
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
    cpu: dict[str, list[tuple[float, float | None]]] = {"baseline": [], "now": []}
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]
    sides = (("baseline", legacy_verify), ("now", chain_verify))
    for round_ in range(args.verify_rounds):  # alternated, each round in the reverse order of the one before
        for name, function in sides if round_ % 2 == 0 else sides[::-1]:
            started, python, database = time.perf_counter(), time.process_time(), _cpu_seconds(backend)
            result = function(country=verified)
            timings[name].append(time.perf_counter() - started)
            after = _cpu_seconds(backend)
            cpu[name].append(
                (time.process_time() - python, None if database is None or after is None else after - database)
            )
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
        f"JSON text) through a server-side cursor, 5,000 rows a fetch, the encoding written inline. {args.verify_rounds} "
        "runs each, alternated (each round in the reverse order of the one before); the peak memory in a run of "
        "its own (tracemalloc slows allocation). CPU seconds of a run (median): the benchmark's process (the "
        "Python side) and the database backend serving it, which the load of other processes slows far less "
        "than the wall clock.",
        "",
        "| verification | events | every run (s) | best (s) | events per second | CPU s: Python | CPU s: database "
        "| events per Python CPU second | peak Python memory | result |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name in ("baseline", "now"):
        elapsed = min(timings[name])
        runs = ", ".join(f"{t:.1f}" for t in timings[name])
        python = statistics.median(c[0] for c in cpu[name])
        database = [c[1] for c in cpu[name] if c[1] is not None]
        database_text = f"{statistics.median(database):.1f}" if database else "–"
        lines.append(
            f"| {name} | {result.events:,} | {runs} | {elapsed:.1f} | {result.events / elapsed:,.0f} | "
            f"{python:.1f} | {database_text} | {result.events / python:,.0f} | "
            f"{peaks[name] / 1e6:.1f} MB (tracemalloc) | {'valid' if result.ok else result.problem} |"
        )
    lines.append("")
    if load_seconds is not None:
        lines.append(f"(Loading the chain with COPY took {load_seconds:.1f} s; not part of the figure.)\n")
    return "\n".join(lines)
