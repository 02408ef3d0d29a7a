"""make bench — run the benchmarks on a database of their own and write the figures down.

    python -m benchmarks [--events 1000000] [--writers 8] [--appends 200] [--only ledger|reports|gateway|web]

Needs PostgreSQL (DATABASE_URL, the owning role) and runs its measured work as the runtime role,
so row-level security is on the path being measured, as in production."""

from __future__ import annotations

import argparse
import os
import platform
import sys
from datetime import UTC, datetime
from pathlib import Path

from benchmarks.database import as_owner, as_runtime_role, setup_django

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "docs" / "benchmarks.md"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000, help="size of the chain to verify")
    parser.add_argument("--writers", type=int, default=8)
    parser.add_argument("--appends", type=int, default=200, help="appends per writer")
    parser.add_argument("--append-rounds", type=int, default=2, help="alternated append runs per design")
    parser.add_argument("--verify-rounds", type=int, default=2, help="alternated verification runs per side")
    parser.add_argument("--database", default="portal_bench")
    parser.add_argument("--only", choices=["ledger", "reports", "gateway", "web", "files"], default=None)
    parser.add_argument("--web-countries", type=int, default=200)
    parser.add_argument("--web-members", type=int, default=250, help="memberships per grown country")
    parser.add_argument("--web-events", type=int, default=2_000_000, help="events on FR's chain")
    parser.add_argument("--web-users", type=int, default=50, help="concurrent users of the mixed load")
    parser.add_argument("--web-seconds", type=float, default=5, help="seconds per route and round")
    parser.add_argument("--web-rounds", type=int, default=4, help="rounds over every route, alternating order")
    parser.add_argument("--web-load-seconds", type=int, default=60, help="length of the mixed load")
    parser.add_argument("--file-mb", type=int, default=256, help="size of the stored-file benchmark's file")
    parser.add_argument("--gateway-rounds", type=int, default=3, help="alternating rounds per path")
    parser.add_argument("--gateway-requests", type=int, default=2000, help="streams per path and round")
    parser.add_argument("--gateway-workers", type=int, default=1, help="worker processes of the gateway replica")
    parser.add_argument(
        "--gateway-baseline",
        default=None,
        metavar="DIR",
        help="a checkout of other code (`git archive main | tar -x -C DIR`) whose gateway is measured in the same rounds",
    )
    args = parser.parse_args(argv)

    if args.only == "gateway":
        # The gateway needs Redis and its own processes, not the database.
        from benchmarks import gateway_bench

        write_results([gateway_bench.run(args)], database=False)
        return 0
    setup_django(args.database)
    if args.only == "files":
        from benchmarks import files_bench

        write_results([files_bench.run(args)])
        return 0
    from django.db import connection

    from benchmarks import ledger_bench

    owner = connection.settings_dict["USER"]
    sections = []
    if args.only in (None, "web"):
        from django.core.management import call_command

        from benchmarks import web_bench

        call_command("seed_demo", force=True, stdout=open(os.devnull, "w"))
        sections.append(web_bench.run(args, database_url=os.environ["DATABASE_URL"]))
    if args.only not in ("reports", "web"):
        sections.append(ledger_bench.run(args, as_owner=lambda: as_owner(owner), as_runtime=as_runtime_role))
    if args.only in (None, "reports"):
        from benchmarks import report_bench

        sections.append(report_bench.run(args, as_owner=lambda: as_owner(owner), as_runtime=as_runtime_role))
    if args.only is None:
        from benchmarks import files_bench, gateway_bench

        sections.append(files_bench.run(args))
        sections.append(gateway_bench.run(args))
    write_results(sections)
    return 0


def write_results(sections: list[str], *, database: bool = True) -> None:
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    header = (
        f"## Run of {datetime.now(UTC):%Y-%m-%d %H:%M} UTC\n\n"
        f"Machine: {os.cpu_count()} cores, Python {platform.python_version()}, {platform.machine()}, "
        f"{'PostgreSQL and ' if database else ''}Redis on 127.0.0.1; load average at the end {load}.\n\n"
    )
    body = header + "\n".join(sections)
    print(body)
    RESULTS.parent.mkdir(exist_ok=True)
    existing = (
        RESULTS.read_text() if RESULTS.exists() else "# Benchmarks\n\nWritten by `make bench`; newest run first.\n\n"
    )
    title, _, rest = existing.partition("\n\n")
    intro, _, runs = rest.partition("\n\n")
    RESULTS.write_text(f"{title}\n\n{intro}\n\n{body}\n{runs}")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
