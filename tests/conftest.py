"""The cast every test uses, the switch to the runtime database role, and a real Celery worker.

The cast: France (FR) and Kenya (KE). In FR: `owner` (country admin), `member` (officer) and
`viewer`; in KE: `outsider` (country admin). `partner` manages FR's partnership, `auditor` audits
FR. Anonymous visitors are the Django test client without a login."""

from __future__ import annotations

import copy
import os
import shutil
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings

from tests import pytest_env  # noqa: E402  (loaded first by `-p tests.pytest_env`)

ROOT = Path(__file__).resolve().parent.parent

# Headless Chromium for every browser journey of the run, registered here once.
from tests.browser.chromium import browser, page  # noqa: E402, F401

# A ledger signing key in files of the test's own, for the keyring and rotation tests.
from tests.signing_keys import key_files  # noqa: E402, F401

# An S3 endpoint on 127.0.0.1 (moto's server), started by the first test that asks for it.
from tests.storage_s3 import s3_endpoint, s3_settings  # noqa: E402, F401


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """After the test database is created and migrated by the owning role, switch every
    connection to the runtime role so that row-level security applies to the whole suite."""
    from django.db import connections

    from tenants.db import ensure_runtime_role, runtime_role_name, runtime_role_password

    connection = connections["default"]
    owner = (connection.settings_dict["USER"], connection.settings_dict.get("PASSWORD", ""))
    if connection.vendor == "postgresql":
        with django_db_blocker.unblock():
            # Transactional tests empty the tables with TRUNCATE between tests; only the test
            # database grants it to the runtime role.
            ensure_runtime_role(connection, extra_grants="GRANT TRUNCATE ON ALL TABLES IN SCHEMA public TO {role}")
            # The chains refuse TRUNCATE (migration tenants 0010) unless this database says
            # otherwise: only the test database does, for the runtime role's flushes.
            with connection.cursor() as cursor:
                quote = connection.ops.quote_name
                cursor.execute(
                    f"ALTER ROLE {quote(runtime_role_name())} IN DATABASE "
                    f"{quote(connection.settings_dict['NAME'])} SET portal.allow_truncate = 'on'"
                )
            connection.close()
        connection.settings_dict["USER"] = runtime_role_name()
        connection.settings_dict["PASSWORD"] = runtime_role_password() or ""
        _flush_only_written_tables(connection)
    yield
    if connection.vendor == "postgresql":
        with django_db_blocker.unblock():
            connection.close()
        connection.settings_dict["USER"], connection.settings_dict["PASSWORD"] = owner


def _flush_only_written_tables(connection) -> None:
    """After a test that commits, Django empties the tables with one TRUNCATE of all of them (about
    ninety), which costs seconds whatever they hold. Here it names only the tables whose files are
    not empty: a table whose file has no page holds no row (a row, even uncommitted or deleted, takes
    a page until the next TRUNCATE gives the table a new, empty file). The size is read from the
    files, not with a SELECT, which row-level security would answer as empty. CASCADE, since a table
    emptied may be referenced by one that already is."""
    ops = connection.ops
    sql_flush = type(ops).sql_flush

    def sql_flush_written(style, tables, *, reset_sequences=False, allow_cascade=False):
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = current_schema() AND c.relname = ANY(%s) AND pg_relation_size(c.oid) > 0",
                [list(tables)],
            )
            written = {row[0] for row in cursor.fetchall()}
        return sql_flush(
            ops, style, [t for t in tables if t in written], reset_sequences=reset_sequences, allow_cascade=True
        )

    ops.sql_flush = sql_flush_written


@pytest.fixture(scope="session", autouse=True)
def _redis_keys_cleaned():
    """At the end of the run, every Redis key of this run is deleted: its queues (the suite's own
    and those tests name after it: the killed worker's, the probes', the scale-out cluster's) with
    kombu's bindings of them, its cache keys and the gateway's keys under the run's prefix. Only
    this run's names, never another run's: each pattern ends at a separator after the run's name."""
    yield
    import redis

    queue = settings.CELERY_TASK_DEFAULT_QUEUE
    cache_prefix = settings.CACHES["default"].get("KEY_PREFIX", "")
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    patterns = [f"{queue}-*", f"_kombu.binding*.{queue}", f"_kombu.binding*.{queue}-*", f"{queue}:*"]
    patterns += [f"{cache_prefix}:*", f"{settings.GATEWAY_REDIS_PREFIX}:*"]
    keys = {queue.encode()}
    for pattern in patterns:
        keys.update(client.scan_iter(match=pattern, count=1000))
    for start in range(0, len(keys), 500):
        client.delete(*list(keys)[start : start + 500])
    client.close()


@pytest.fixture(autouse=True)
def _chain_at_once_in_uncommitted_tests(request):
    """The ledger chains an event right after the transaction that recorded it commits. A test on
    the `db` fixture never commits: there, the transaction asks for its events chained as they are
    recorded (chain_pending_now), as a transaction that must name an event's place does. Tests on
    committed transactions (`transactional_db`, the concurrency and crash tests of the ledger)
    keep the chaining after commit."""
    if "db" in request.fixturenames and "transactional_db" not in request.fixturenames:
        marker = request.node.get_closest_marker("django_db")
        if not (marker and marker.kwargs.get("transaction")):
            request.getfixturevalue("db")
            from tenants.record.chaining import chain_pending_now

            chain_pending_now()


@pytest.fixture(autouse=True)
def _english_in_this_thread():
    """Each test starts in English: a page a test requested in French leaves French active in its
    thread (the active language is per thread), which a later test's service calls would speak."""
    from django.utils import translation

    translation.activate("en")
    yield
    translation.activate("en")


@pytest.fixture(autouse=True)
def _email_in_memory(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Each test starts with an empty cache (rate limits, lockouts, used one-time codes): only this
    run's keys (its own prefix) are deleted, never another run's."""
    yield
    import redis

    prefix = settings.CACHES["default"].get("KEY_PREFIX")
    if settings.CACHES["default"]["BACKEND"].endswith("RedisCache") and prefix:
        client = redis.Redis.from_url(settings.CACHES["default"]["LOCATION"])
        keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
        if keys:
            client.delete(*keys)
        client.close()


@dataclass
class Cast:
    fr: object
    ke: object
    fr_ministry: object
    fr_agency: object
    ke_ministry: object
    owner: object
    member: object
    viewer: object
    outsider: object
    partner: object
    auditor: object
    password: str = "correct-horse-battery-staple"


def make_cast() -> Cast:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from guardian.shortcuts import assign_perm

    from tenants.access import AUDITOR_PERMISSION, AUDITORS_GROUP, PARTNER_MANAGERS_GROUP, PARTNER_PERMISSION
    from tenants.isolation import country_context
    from tenants.languages.models import Preferences
    from tenants.models import Country, Membership, Organisation

    User = get_user_model()
    password = Cast.password

    def person(username: str, first: str, last: str):
        user = User(username=username, first_name=first, last_name=last, email=f"{username}@example.org")
        user.set_password(password)
        user.save()
        return user

    fr = Country.objects.create(
        code="FR", name="France", status="active", residency_region="eu-west", default_language="fr"
    )
    ke = Country.objects.create(
        code="KE", name="Kenya", status="active", residency_region="af-east", default_language="en"
    )
    owner = person("owner", "Olga", "Owner")
    member = person("member", "Marc", "Member")
    viewer = person("viewer", "Vera", "Viewer")
    outsider = person("outsider", "Otieno", "Outsider")
    partner = person("partner", "Paula", "Partner")
    auditor = person("auditor", "Arun", "Auditor")
    with country_context(fr):
        fr_ministry = Organisation.objects.create(
            country=fr, name="Ministère du Numérique", acronym="MN", kind="ministry"
        )
        fr_agency = Organisation.objects.create(
            country=fr, name="Agence des Données", acronym="AD", kind="public_agency"
        )
        Membership.objects.create(country=fr, user=owner, organisation=fr_ministry, role="country_admin")
        Membership.objects.create(country=fr, user=member, organisation=fr_ministry, role="officer")
        Membership.objects.create(country=fr, user=viewer, organisation=fr_agency, role="viewer")
    with country_context(ke):
        ke_ministry = Organisation.objects.create(country=ke, name="Ministry of ICT", acronym="MICT", kind="ministry")
        Membership.objects.create(country=ke, user=outsider, organisation=ke_ministry, role="country_admin")
    partners, _ = Group.objects.get_or_create(name=PARTNER_MANAGERS_GROUP)
    auditors, _ = Group.objects.get_or_create(name=AUDITORS_GROUP)
    partner.groups.add(partners)
    auditor.groups.add(auditors)
    assign_perm(f"tenants.{PARTNER_PERMISSION}", partner, fr)
    assign_perm(f"tenants.{AUDITOR_PERMISSION}", auditor, fr)
    # The cast chose English on their accounts, so that pages, emails and API messages read as the
    # tests expect whatever their country's default (France's is French); tests of the language
    # rules (tests/languages/) take that choice away.
    Preferences.objects.bulk_create(
        Preferences(user=user, language="en") for user in (owner, member, viewer, outsider, partner, auditor)
    )
    return Cast(fr, ke, fr_ministry, fr_agency, ke_ministry, owner, member, viewer, outsider, partner, auditor)


# --- The cast, built once for the tests of a module that run one after another in a transaction ----
#
# Building the cast is about forty writes; some 2,000 tests use it. A test that never commits (the
# `db` fixture: its own transaction, rolled back at its end) gets the cast built once in an outer
# transaction (as Django's TestCase.setUpTestData does), shared by the consecutive such tests of its
# module and rolled back after the last of them, before any other test runs: a test without the
# cast, one that commits (`transactional_db`, the worker's and the browser's), or the next module's
# fixtures never see it. Each test still starts from the cast as built (its own changes are rolled
# back with its own transaction) and gets its own copy of the Python objects; the countries' data
# keys cached in this process are forgotten after each test, as a fresh cast's would be.


@dataclass
class _SharedCast:
    outer: object = None  # the outer transaction (django.db.transaction.Atomic) while it is open
    cast: Cast | None = None
    module: object = None
    next_item: object = None  # the test that runs next (pytest_runtest_teardown)


_shared = _SharedCast()


def _shares_cast(item) -> bool:
    """A test that uses the cast and never commits (pytest-django's own rule for `transactional`)."""
    names = getattr(item, "fixturenames", ())
    if "cast" not in names or "_django_db_helper" not in names:
        return False
    if {"transactional_db", "live_server", "django_db_reset_sequences"} & set(names):
        return False
    marker = item.get_closest_marker("django_db")
    return not (marker and (marker.kwargs.get("transaction") or marker.kwargs.get("reset_sequences")))


def _shared_cast_close(django_db_blocker) -> None:
    from django.db import transaction

    from tenants.keys.envelope import key_cache_clear

    with django_db_blocker.unblock():
        transaction.set_rollback(True)
        _shared.outer.__exit__(None, None, None)
    _shared.outer = _shared.cast = _shared.module = None
    key_cache_clear()


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_teardown(item, nextitem):
    _shared.next_item = nextitem


@pytest.fixture
def _shared_cast_transaction(request, django_db_setup, django_db_blocker):
    """Opens the outer transaction with the cast for a test that shares it (before the test's own
    transaction opens), and closes it after the test's own is rolled back unless the next test
    shares it too, in the same module."""
    from django.db import transaction

    from tenants.keys.envelope import key_cache_clear
    from tenants.record.chaining import chain_pending_now

    item = request.node
    if _shared.outer is not None and (_shared.module is not item.module or not _shares_cast(item)):
        _shared_cast_close(django_db_blocker)  # a safeguard: the previous test's teardown has closed it
    if _shared.outer is None and _shares_cast(item):
        with django_db_blocker.unblock():
            _shared.outer = transaction.atomic()
            _shared.outer.__enter__()
            try:
                chain_pending_now()  # as for every test that never commits (below)
                _shared.cast = make_cast()
            except BaseException:
                _shared_cast_close(django_db_blocker)
                raise
        _shared.module = item.module
    yield
    if _shared.outer is None:
        return
    key_cache_clear()
    following = _shared.next_item
    if following is None or following.module is not _shared.module or not _shares_cast(following):
        _shared_cast_close(django_db_blocker)


@pytest.fixture
def _django_db_helper(_shared_cast_transaction, _django_db_helper):
    """pytest-django's fixture that opens each test's own transaction (or readies a committing
    test's flush), preceded by the cast's outer transaction above: it requests that one first."""
    yield


@pytest.fixture
def cast(db) -> Cast:
    if _shared.cast is not None:
        return copy.deepcopy(_shared.cast)
    return make_cast()


@pytest.fixture
def api():
    from rest_framework.test import APIClient

    return APIClient()


# --- A real Celery worker ------------------------------------------------------------------------


@pytest.fixture(scope="session")
def celery_worker_process(django_db_setup, django_db_blocker):
    """A real `celery worker` process on the suite's own queue, connected to the test database
    as the runtime role. Tests that use it must commit their data (django_db(transaction=True))."""
    from django.db import connections

    if connections["default"].vendor != "postgresql":
        pytest.skip("the worker tests need PostgreSQL")
    db = connections["default"].settings_dict
    env = dict(os.environ)
    owner_url = os.environ["DATABASE_URL"]
    base, _, _ = owner_url.rpartition("/")
    # The runtime role's password (if it has one) and a socket-directory host must survive the URL.
    credentials = quote(db["USER"], safe="") + (f":{quote(db['PASSWORD'], safe='')}" if db.get("PASSWORD") else "")
    host = db["HOST"] or "127.0.0.1"
    host = quote(host, safe="") if host.startswith("/") else host
    env.update(
        DATABASE_URL=f"{base}/{db['NAME']}",
        APP_DATABASE_URL=f"postgres://{credentials}@{host}:{db['PORT'] or 5432}/{db['NAME']}",
        PORTAL_DB_ROLE="app",
        DB_CONN_MAX_AGE="0",
        EMAIL_BACKEND="django.core.mail.backends.console.EmailBackend",
    )
    log_path = pytest_env.VAR_DIR / "test-worker.log"
    log = open(log_path, "w")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "portal",
            "worker",
            "--pool=solo",
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
            "-Q",
            settings.CELERY_TASK_DEFAULT_QUEUE,
            "-n",
            f"test-worker-{os.getpid()}@%h",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    from portal.celery import app

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"The Celery worker exited at start; see {log_path}")
        if app.control.ping(timeout=0.5, destination=[f"test-worker-{os.getpid()}@{os.uname().nodename}"]):
            break
    else:
        process.kill()
        raise RuntimeError(f"The Celery worker did not answer within 60 s; see {log_path}")
    _worker_running.append(process)
    yield process
    _worker_running.remove(process)
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
    log.close()


# The suite's worker, once a test has started it: it then serves every later test's jobs too.
_worker_running: list = []


# --- The governed gateway's processes (one set a run, whichever test needs them first) ------------


@pytest.fixture(scope="session")
def upstreams():
    """The stand-in upstreams: eu-west's own and the catch-all one (tests/gateway/processes.py)."""
    from tests.gateway import processes

    yield from processes.upstreams_start()


@pytest.fixture(scope="session")
def gateways(upstreams):
    """Two gateway replicas sharing Redis and nothing else; their base URLs."""
    from tests.gateway import processes

    yield from processes.gateways_start()


@pytest.fixture(autouse=True)
def _worker_idle_before_flush(request):
    """After a test that commits while the suite's worker runs, wait until the worker has run
    everything the test's commits gave it (a provisioning job is followed by the jobs that publish
    its policy; seed_demo's notices are mailed), so that the emptying of the tables after the test
    never races a job still holding them (a deadlock of the TRUNCATE). The worker, once started by
    one test, serves every later one: a test need not have asked for it to give it jobs."""
    yield
    if "celery_worker_process" not in request.fixturenames and not (_worker_running and _commits(request)):
        return
    import redis

    from portal.celery import app

    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    worker = f"test-worker-{os.getpid()}@{os.uname().nodename}"
    deadline, quiet = time.monotonic() + 30, 0
    while time.monotonic() < deadline and quiet < 2:
        inspect = app.control.inspect(destination=[worker], timeout=1)
        busy = client.llen(settings.CELERY_TASK_DEFAULT_QUEUE) > 0 or bool((inspect.active() or {}).get(worker))
        quiet = 0 if busy else quiet + 1
        if busy:
            time.sleep(0.1)


def _commits(request) -> bool:
    """Whether the test's database work is committed (and the tables emptied after it)."""
    marker = request.node.get_closest_marker("django_db")
    committing = marker is not None and (marker.kwargs.get("transaction") or (marker.args and marker.args[0]))
    return bool(committing) or bool({"transactional_db", "live_server"} & set(request.fixturenames))


def wait_for(predicate, *, timeout: float = 20.0, interval: float = 0.1):
    """Poll `predicate` until it returns something truthy (then return it) or fail after `timeout`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout} s")


def deliver_mail() -> int:
    """Send, in this process, every mail written and not yet sent (what the worker does with each
    mail job): tests that read django.core.mail.outbox call it where a worker would have run."""
    from tenants.notifications.mail import mail_send
    from tenants.notifications.models import OutgoingMail

    waiting = list(OutgoingMail.objects.filter(sent_at__isnull=True).order_by("pk").values_list("pk", flat=True))
    for mail_id in waiting:
        mail_send(mail_id=mail_id)
    return len(waiting)


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(session, config, items):
    """Every test has an address of its own. Schemathesis names each operation's test
    `test…[GET /api/…]` but, under pytest 9, leaves them all the one address of the function;
    a parallel run (pytest-xdist) schedules tests by address, so it ran the first of the 111
    operations and counted the other 110 as never there. Such tests get their name as address;
    any address still shared then stops the run before a test is lost."""
    from _pytest.nodeid import NodeId

    seen = Counter(item.nodeid for item in items)
    for item in items:
        if seen[item.nodeid] > 1 and item.parent is not None and item.name != item.nodeid.rpartition("::")[2]:
            item._id = NodeId.parse(f"{item.parent.nodeid}::{item.name}")
    shared = sorted(nodeid for nodeid, n in Counter(item.nodeid for item in items).items() if n > 1)
    if shared:
        raise pytest.UsageError(f"tests sharing one address (a parallel run would lose all but one): {shared[:5]}")
    # The longest modules first, every other one in its place: with --dist loadfile each worker
    # takes the next module in this order, and a long one left for the end runs alone while the
    # other worker has nothing to do.
    gone = [module for module in LONGEST_FIRST if not (ROOT / module).is_file()]
    if gone:
        raise pytest.UsageError(f"LONGEST_FIRST (tests/conftest.py) names modules that are gone: {gone}")
    rank = {module: n for n, module in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.nodeid.partition("::")[0], len(rank)))


# The modules of the most test time in a parallel run (2026-12-03, 20 to 70 s each), longest first.
LONGEST_FIRST = (
    "tests/browser/test_accessibility.py",
    "tests/access/test_matrix.py",
    "tests/deployments/test_worker.py",
    "tests/tenants/test_no_lost_job.py",
    "tests/api/test_contract.py",
    "tests/languages/test_pseudo_locale.py",
    "tests/deployments/test_register_public.py",
    "tests/engagements/test_services.py",
    "tests/deployments/test_scale_out.py",
    "tests/test_upgrade.py",
    "tests/access/test_query_growth.py",
)


ARTEFACTS = "test-artefacts"


@pytest.fixture(scope="session")
def artefacts(tmp_path_factory) -> Path:
    """Where a test leaves what people look at (screenshots, the accessibility and translation
    reports, drafts): a directory of this run's (of this xdist worker's, under xdist), never the
    checkout. Named at the end of the run; pytest keeps the last three runs' (tmp_path's rule)."""
    path = tmp_path_factory.getbasetemp() / ARTEFACTS
    path.mkdir(exist_ok=True)
    return path


def _artefacts_written(config) -> list[Path]:
    """This run's artefact directories that hold something: its own, and under xdist its workers'."""
    factory = getattr(config, "_tmp_path_factory", None)
    if factory is None or getattr(factory, "_basetemp", None) is None:
        return []
    base = factory.getbasetemp()
    return [
        path
        for path in (base / ARTEFACTS, *sorted(base.glob(f"*/{ARTEFACTS}")))
        if path.is_dir() and any(path.iterdir())
    ]


_run_clock: dict[str, float] = {"started": time.time(), "summed": 0.0}


def pytest_runtest_logreport(report):
    """Each phase's time (set-up, call, tear-down), summed over the run for its summary: under
    xdist the controlling process receives every worker's reports, so the sum is all processes'."""
    _run_clock["summed"] += report.duration


def pytest_terminal_summary(terminalreporter, exitstatus):
    """The size of the access matrix (tests/access): its routes × its kinds of visitor; the time
    the tests took, summed over every process against the wall clock (what a run in one process
    would roughly take, and how well the processes share the cores); where this run's artefacts are
    (screenshots, reports); and, when the run failed, where its files (the worker's log among them)
    are kept for a person to read."""
    from tests.access.matrix import matrix_size

    routes, visitors = matrix_size()
    terminalreporter.write_line(f"access matrix: {routes} routes × {visitors} visitors = {routes * visitors} answers")
    summed, wall = _run_clock["summed"], time.time() - _run_clock["started"]
    if summed and wall > 0:
        terminalreporter.write_line(
            f"test time summed over every process: {summed:,.0f} s; wall clock: {wall:,.0f} s "
            f"({summed / wall:.2f} processes busy on average)"
        )
    for path in _artefacts_written(terminalreporter.config):
        terminalreporter.write_line(f"this run's screenshots and reports: {path}")
    if _run_dir_kept(exitstatus):
        terminalreporter.write_line(f"this run's files (worker and gateway logs, stored files): {pytest_env.VAR_DIR}")


def _run_dir_kept(exitstatus) -> bool:
    """The run's directory outlives a run that failed or was interrupted, for its logs."""
    return exitstatus not in (pytest.ExitCode.OK, pytest.ExitCode.NO_TESTS_COLLECTED)


_run_exitstatus = pytest.StashKey[int]()


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session, exitstatus):
    session.config.stash[_run_exitstatus] = exitstatus


def pytest_unconfigure(config):
    """After the last process of the run has stopped (the session's fixtures are torn down by then),
    its directory (tests/pytest_env.py) is deleted, unless the run failed: only the process that
    made it deletes it (under xdist, the controlling one, once its workers are done)."""
    exitstatus = config.stash.get(_run_exitstatus, pytest.ExitCode.INTERRUPTED)
    if pytest_env.RUN_DIR_OWNED and not _run_dir_kept(exitstatus):
        shutil.rmtree(pytest_env.VAR_DIR, ignore_errors=True)
