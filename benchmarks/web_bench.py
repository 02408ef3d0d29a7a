"""Web benchmarks: API lists and a country's pages against /healthz on the same gunicorn (as `make run` serves it), and a
mixed load of officers, country admins, partner managers and auditors with locust (headless, on
127.0.0.1, bounded in time), on the benchmarks' database grown to the size asked for."""

from __future__ import annotations

import csv
import io
import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
LOCUSTFILE = Path(__file__).resolve().parent / "locustfile.py"
LISTS = ["organisations", "members", "engagements", "deployment-requests", "audit-events"]
SECRET_KEY = "bench-secret-key-not-for-production"  # the server's; the sessions below are signed with it
# Server-rendered pages of a country, as a signed-in person reads them (a session cookie).
PAGES = ["/c/FR/", "/c/FR/activity/"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def grow(*, countries: int, members_per_country: int, events: int, say) -> dict[str, int]:
    """Countries with one ministry and their members (bulk), and `events` on France's chain (COPY,
    as the owner): setup, not measured. Idempotent: only what is missing is added."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.db import connection

    from benchmarks.ledger_bench import load_chain
    from tenants.isolation import country_context
    from tenants.models import Country, Membership, Organisation
    from tenants.record.models import CountryEvent

    users = get_user_model()
    password = make_password(None)
    for n in range(countries):
        code = f"{chr(ord('Q') + n // 26)}{chr(65 + n % 26)}"  # QA…QZ, RA…: clear of the demo's codes
        country, _ = Country.objects.get_or_create(code=code, defaults={"name": f"Bench {n}", "status": "active"})
        with country_context(country):
            if Membership.objects.filter(country=country).count() >= members_per_country:
                continue
            ministry, _ = Organisation.objects.get_or_create(
                country=country, name="Ministry", defaults={"kind": "ministry"}
            )
            made = users.objects.bulk_create(
                users(username=f"b{country.code.lower()}{i}", password=password) for i in range(members_per_country)
            )
            Membership.objects.bulk_create(
                Membership(country=country, user=u, organisation=ministry, role="viewer") for u in made
            )
    france = Country.objects.get(code="FR")
    with country_context(france):
        have = CountryEvent.objects.filter(country_id=france.pk).count()
    if have < events:
        say(f"  loading {events:,} events on FR's chain")
        load_chain(france, events)
    with connection.cursor() as cursor:
        # Statistics of the grown tables, as autovacuum gathers them after a bulk load in service:
        # without them the planner takes FR's chain for a few rows and sorts all of it.
        cursor.execute("ANALYZE")
    with country_context(*Country.objects.all()):
        return {
            "countries": Country.objects.count(),
            "members": Membership.objects.count(),
            "events": CountryEvent.objects.count(),
        }


def tokens() -> dict[str, str]:
    """A bearer token for each demo person the load plays (issued directly: no second factor)."""
    from django.contrib.auth import get_user_model

    from tenants.identity.tokens import api_token_issue

    people = {"officer": "olivier", "country_admin": "amelie", "partner": "priya", "auditor": "aude"}
    users = get_user_model()
    return {role: api_token_issue(user=users.objects.get(username=name))[0] for role, name in people.items()}


def session_cookie(username: str) -> dict[str, str]:
    """A Cookie header of a signed-in session of `username`, made as a sign-in makes it (the
    password and second factor are not what is measured)."""
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
    from django.test.utils import override_settings

    from tenants.identity.middleware import LAST_SEEN_KEY

    user = get_user_model().objects.get(username=username)
    with override_settings(SECRET_KEY=SECRET_KEY):  # signed as the server signs, with its key
        store = import_module(settings.SESSION_ENGINE).SessionStore()
        store[SESSION_KEY] = str(user.pk)
        store[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
        store[HASH_SESSION_KEY] = user.get_session_auth_hash()
        store[LAST_SEEN_KEY] = time.time()
        store.save()
    return {"Cookie": f"{settings.SESSION_COOKIE_NAME}={store.session_key}"}


class Server:
    """gunicorn as `make run` starts it (2 workers, 4 threads; keep-alive 30 s), as the runtime role,
    its workers never recycled during the measure."""

    def __init__(self, database_url: str):
        self.port = _free_port()
        env = dict(
            os.environ,
            DATABASE_URL=database_url,
            PORTAL_DB_ROLE="app",
            SECRET_KEY=SECRET_KEY,
            DEBUG="0",
            PORTAL_TESTING="1",
            LOG_LEVEL="WARNING",  # as every process takes its level: gunicorn.conf.py reads it
        )
        env.pop("APP_DATABASE_URL", None)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "portal.wsgi", "--bind", f"127.0.0.1:{self.port}"]
            # Kept-alive connections held longer than gunicorn's 2 s default, as a proxy in front
            # would: otherwise a client reusing a connection the server just closed counts an error.
            + ["--workers", "2", "--threads", "4", "--keep-alive", "30"]
            # No recycling of workers (gunicorn.conf.py recycles each after about 2,000 requests): at
            # hundreds of requests a second a worker would restart inside some route's window, at
            # random, and that route would be measured with a worker loading Django.
            + ["--max-requests", "0"],
            cwd=ROOT,
            env=env,
        )
        self.url = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/healthz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.3)
        raise RuntimeError("gunicorn did not answer /healthz within a minute")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


def throughput(url: str, headers: dict, *, seconds: float, connections: int = 8) -> tuple[float, float, float]:
    """(requests per second, p50 ms, p99 ms) of GET `url`, `connections` kept-alive clients."""
    times: list[float] = []
    errors: list[int] = []
    stop = time.monotonic() + seconds

    def client() -> None:
        with httpx.Client(headers=headers, timeout=30) as http:
            while time.monotonic() < stop:
                started = time.perf_counter()
                response = http.get(url)
                times.append(time.perf_counter() - started)
                if response.status_code != 200:
                    errors.append(response.status_code)

    started = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    if errors:
        raise RuntimeError(f"{url}: {len(errors)} errors, e.g. {errors[0]}")
    times.sort()
    return len(times) / elapsed, statistics.median(times) * 1000, times[int(len(times) * 0.99)] * 1000


def mixed_load(url: str, keys: dict[str, str], *, users: int, seconds: int) -> list[dict]:
    """locust, headless, for `seconds`; its per-route statistics."""
    prefix = "/tmp/portal-bench-locust"
    env = dict(os.environ, BENCH_TOKENS=json.dumps(keys))
    subprocess.run(
        [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless", "--host", url]
        + ["-u", str(users), "-r", str(max(1, users // 5)), "-t", f"{seconds}s", "--csv", prefix, "--only-summary"]
        + ["--loglevel", "WARNING"],
        cwd=ROOT,
        env=env,
        check=False,
        stdout=subprocess.DEVNULL,
    )
    with open(f"{prefix}_stats.csv") as handle:
        return list(csv.DictReader(io.StringIO(handle.read())))


def run(args, *, database_url: str, say=print) -> str:
    import logging

    for name in ("httpx", "httpcore"):  # a log line per request would cost the client its CPU
        logging.getLogger(name).setLevel(logging.WARNING)
    sizes = grow(countries=args.web_countries, members_per_country=args.web_members, events=args.web_events, say=say)
    keys = tokens()
    server = Server(database_url)
    lines = ["### Web", ""]
    try:
        officer = {"Authorization": f"Bearer {keys['officer']}"}
        signed_in = session_cookie("olivier")
        rounds: dict[str, list[tuple[float, float, float]]] = {}
        paths = ["/healthz", *(f"/api/v1/countries/FR/{name}/" for name in LISTS), *PAGES]
        for round_ in range(args.web_rounds):  # each round in the reverse order of the one before
            for path in paths if round_ % 2 == 0 else paths[::-1]:
                headers = {} if path == "/healthz" else officer if path.startswith("/api/") else signed_in
                rounds.setdefault(path, []).append(throughput(server.url + path, headers, seconds=args.web_seconds))
        best = {path: max(runs) for path, runs in rounds.items()}
        # Each round's share: the route against /healthz in the same round (what the load of the
        # moment did to one, it did to the other).
        shares = {
            path: [runs[i][0] / rounds["/healthz"][i][0] for i in range(len(runs))] for path, runs in rounds.items()
        }
        lines += [
            f"Data: {sizes['countries']:,} countries, {sizes['members']:,} memberships, {sizes['events']:,} events "
            "(FR's chain holds most of them). gunicorn as `make run` starts it (2 workers, 4 threads; workers not "
            "recycled while measuring), 8 kept-alive "
            f"clients, {args.web_seconds} s per route, {args.web_rounds} rounds, each in the reverse order of the "
            "one before; the API lists as FR's officer "
            "with a bearer token (first page, 50 rows); the pages (the country overview, the first page of "
            "the activity record) as the same officer signed in (a session cookie). Requests a second, p50 and "
            "p99: the route's best round. Share of `/healthz`: the route's requests a second against "
            "`/healthz`'s in the same round, every round's and their median.",
            "",
            "| route | requests per second | share of /healthz, each round | median share | p50 ms | p99 ms |",
            "|---|---|---|---|---|---|",
        ]
        for path, (rate, p50, p99) in best.items():
            each = ", ".join(f"{share:.1%}" for share in shares[path])
            lines.append(
                f"| `{path}` | {rate:,.0f} | {each} | {statistics.median(shares[path]):.1%} | {p50:.1f} | {p99:.1f} |"
            )
        lines.append("")
        stats = mixed_load(server.url, keys, users=args.web_users, seconds=args.web_load_seconds)
        lines += [
            f"Mixed load (locust, headless, {args.web_users} users for {args.web_load_seconds} s: officers browsing, "
            "country admins listing members and adding organisations, partner managers reading their review "
            "queues, auditors filtering events and listing reports). Times in milliseconds.",
            "",
            "| route | requests | errors | p50 | p95 | p99 |",
            "|---|---|---|---|---|---|",
        ]
        for row in stats:
            lines.append(
                f"| {row['Type']} {row['Name']} | {row['Request Count']} | {row['Failure Count']} | "
                f"{row['50%']} | {row['95%']} | {row['99%']} |"
            )
        lines.append("")
    finally:
        server.stop()
    return "\n".join(lines)
