"""Ledger benchmarks: appends per second with concurrent writers on one chain, and verification
speed on a chain of (by default) one million events."""

from __future__ import annotations

import io
import threading
import time
import tracemalloc

from django.db import connection


def _country(code: str, name: str):
    from tenants.models import Country

    country, _ = Country.objects.get_or_create(code=code, defaults={"name": name})
    return country


def appends(country, writers: int, per_writer: int) -> tuple[float, int]:
    from tenants.record.ledger import event_record

    errors: list[BaseException] = []
    barrier = threading.Barrier(writers)

    def writer(n: int) -> None:
        try:
            barrier.wait()
            for i in range(per_writer):
                event_record(country=country, action="bench.append", payload={"writer": n, "i": i})
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


def load_chain(country, events: int) -> float:
    """Write a valid chain of `events` events with COPY (as the owner): setup, not measured."""
    import json

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

    one_elapsed, one_count = appends(appenders, 1, args.appends)
    many_elapsed, many_count = appends(appenders, args.writers, args.appends)
    report = chain_verify(country=appenders)
    lines += [
        "Appends go through `event_record` (advisory lock per chain, read of the head, insert), each in its own "
        "transaction, as the runtime role under row-level security.",
        "",
        "| writers | appends | seconds | appends per second |",
        "|---|---|---|---|",
        f"| 1 | {one_count} | {one_elapsed:.2f} | {one_count / one_elapsed:,.0f} |",
        f"| {args.writers} | {many_count} | {many_elapsed:.2f} | {many_count / many_elapsed:,.0f} |",
        "",
        f"After the concurrent run the chain holds {report.events} events and verifies: "
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
    started = time.perf_counter()
    result = chain_verify(country=verified)
    elapsed = time.perf_counter() - started
    # Memory in a second run: tracemalloc slows allocation-heavy code several times over.
    tracemalloc.start()
    chain_verify(country=verified)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    lines += [
        f"Verification of one chain of {result.events:,} events (`chain_verify`: recompute every SHA-256 over the "
        "canonical encoding, check sequence and links, streamed with a server-side iterator):",
        "",
        "| events | seconds | events per second | peak Python memory | result |",
        "|---|---|---|---|---|",
        f"| {result.events:,} | {elapsed:.1f} | {result.events / elapsed:,.0f} | {peak / 1e6:.1f} MB (tracemalloc) | "
        f"{'valid' if result.ok else result.problem} |",
        "",
    ]
    if load_seconds is not None:
        lines.append(f"(Loading the chain with COPY took {load_seconds:.1f} s; not part of the figure.)\n")
    return "\n".join(lines)
