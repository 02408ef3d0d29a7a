"""Compliance report benchmark: the ledger-events CSV of a report (one million events by default),
written through the report's own code path (PostgreSQL COPY of the queryset's SQL with formula
neutralisation, inside the country context, as the runtime role), beside a plain COPY of the same
rows measured in the same run. Each export runs in a fresh child process, so that its peak
resident memory (ru_maxrss) is its own and not the loader's."""

from __future__ import annotations

import datetime as dt
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PLAIN_COPY = (
    "COPY (SELECT sequence, at, actor_id, actor_role, action, target_type, target_id, payload, prev_hash, "
    "hash FROM tenants_countryevent WHERE country_id = {country} ORDER BY sequence) TO STDOUT WITH CSV HEADER"
)


def _child(mode: str, country_id: int, database: str, output: str) -> None:
    """Run one export in this fresh process and print its figures as JSON."""
    from benchmarks.database import as_runtime_role, setup_django

    setup_django(database)
    as_runtime_role()
    from django.db import connection

    from portal.reports.ledger_csv import ledger_events_csv_write
    from portal.reports.sections import Period
    from tenants.isolation import country_context
    from tenants.models import Country

    country = Country.objects.get(pk=country_id)
    period = Period(dt.date(2000, 1, 1), dt.date.today() + dt.timedelta(days=1))
    connection.ensure_connection()  # set-up done: what follows is the export's own memory
    before_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if mode == "traced":
        tracemalloc.start()
    started = time.perf_counter()
    with open(output, "wb") as out:
        if mode == "copy":
            with country_context(country), connection.cursor() as cursor:
                cursor.cursor.copy_expert(PLAIN_COPY.format(country=country.pk), out, size=1 << 16)
        else:
            ledger_events_csv_write(country=country, period=period, out=out)
    elapsed = time.perf_counter() - started
    traced = tracemalloc.get_traced_memory()[1] if mode == "traced" else 0
    print(
        json.dumps(
            {
                "seconds": elapsed,
                "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                "traced_mb": traced / 1e6,
                "before_mb": before_mb,
                "bytes": os.path.getsize(output),
            }
        )
    )


def _measure(mode: str, country_id: int, database: str) -> dict:
    with tempfile.TemporaryDirectory() as folder:
        output = os.path.join(folder, "events.csv")
        result = subprocess.run(
            [sys.executable, "-m", "benchmarks.report_bench", mode, str(country_id), database, output],
            cwd=ROOT,
            env=dict(os.environ),
            capture_output=True,
            text=True,
            check=True,
        )
        figures = json.loads(result.stdout.strip().splitlines()[-1])
        with open(output, "rb") as written:
            figures["lines"] = sum(block.count(b"\n") for block in iter(lambda: written.read(1 << 20), b""))
    return figures


def run(args, *, as_owner, as_runtime) -> str:
    from benchmarks.ledger_bench import _country, load_chain
    from tenants.isolation import country_context
    from tenants.record.models import CountryEvent

    as_owner()
    country = _country("XV", "Bench verification")
    with country_context(country):
        existing = CountryEvent.objects.filter(country_id=country.pk).count()
    load_seconds = load_chain(country, args.events) if existing != args.events else None
    as_runtime()
    from django.db import connection

    connection.close()  # the children connect on their own
    # Three runs of each, alternating, and the median: one run on a small machine is noisy.
    runs: dict[str, list[dict]] = {"copy": [], "report": []}
    for _ in range(3):
        for mode, measured in runs.items():
            measured.append(_measure(mode, country.pk, args.database))
    baseline, ours = (sorted(runs[mode], key=lambda r: r["seconds"])[1] for mode in ("copy", "report"))
    traced = _measure("traced", country.pk, args.database)
    ratio = ours["seconds"] / baseline["seconds"]
    intro = (
        f"The ledger-events CSV of a report over {args.events:,} events (`portal.reports.ledger_csv`: COPY of "
        "the queryset's SQL, text cells neutralised against formula injection in SQL, inside the country "
        "context as the runtime role under row-level security), beside a plain `COPY` of the same rows, same "
        "run. Each export runs in a fresh process (median of three runs each, alternating); peak RSS is that "
        "process's maximum resident set, Django loaded included; the export's own growth is the last column."
    )
    rows = [("plain `COPY`", baseline), ("report CSV", ours)]
    lines = [
        "### Compliance reports",
        "",
        intro,
        "",
        "| export | rows | seconds | MB written | peak RSS | RSS growth during the export |",
        "|---|---|---|---|---|---|",
    ]
    lines += [
        (
            f"| {label} | {r['lines'] - 1:,} | {r['seconds']:.2f} | {r['bytes'] / 1e6:.0f} | "
            f"{r['maxrss_mb']:.0f} MB | {r['maxrss_mb'] - r['before_mb']:.1f} MB |"
        )
        for label, r in rows
    ]
    lines += [
        "",
        f"Peak Python heap of the report CSV export (tracemalloc, a separate run): {traced['traced_mb']:.2f} MB.",
        "",
        (
            f"Report CSV / plain COPY: {ratio:.2f}x (target: within 2x); peak memory "
            f"{ours['maxrss_mb']:.0f} MB (target: under 200 MB)."
        ),
        "",
    ]
    if load_seconds is not None:
        lines.append(f"(Loading the chain with COPY took {load_seconds:.1f} s; not part of the figure.)\n")
    return "\n".join(lines)


if __name__ == "__main__":
    _child(sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4])
