"""No lost job (DESIGN §7): every task is bounded in time and the broker keeps a job no longer
than it may run; jobs, fan-outs and mail go through the outbox; a broker outage at the moment of a
request fails nothing and the job runs once the broker is back."""

from __future__ import annotations

import contextlib
import datetime as dt
import re
import socket
import threading
import time
from pathlib import Path

import pytest
from celery import current_app
from django.conf import settings
from django.core import mail
from django.db import transaction
from django.utils import timezone

from portal.models import ComplianceReport
from portal.reports import services as reports
from tenants.access import access_for
from tenants.isolation import country_context
from tenants.jobs import outbox
from tenants.jobs.models import OutboxMessage, PlatformOutboxMessage
from tenants.notifications.models import OutgoingMail
from tests import pytest_env
from tests.conftest import wait_for

ROOT = Path(__file__).resolve().parents[2]
APPS = ("portal", "gateway", "deployments", "engagements", "governance", "training", "tenants")


def portal_tasks() -> dict:
    current_app.loader.import_default_modules()
    return {name: task for name, task in current_app.tasks.items() if not name.startswith("celery.")}


def test_every_task_has_a_soft_and_a_hard_time_limit_within_the_visibility_timeout():
    tasks = portal_tasks()
    assert "portal.compliance_report_build" in tasks and "tenants.outbox_relay" in tasks
    longest = 0
    for name, task in tasks.items():
        soft = task.soft_time_limit or current_app.conf.task_soft_time_limit
        hard = task.time_limit or current_app.conf.task_time_limit
        assert soft and hard and soft < hard, name
        longest = max(longest, hard)
    # A job still running is never handed to a second worker.
    assert current_app.conf.broker_transport_options["visibility_timeout"] > longest
    assert settings.CELERY_LONGEST_TASK_SECONDS >= longest


def test_app_code_sends_no_job_or_mail_around_the_outbox():
    # The record's chaining runs after the commit too, but it is a statement on the database in the
    # same request or task, not a job: nothing goes to the broker or the mail.
    allowed = {
        Path("tenants/jobs/outbox.py"),
        Path("tenants/notifications/mail.py"),
        Path("tenants/record/chaining.py"),
    }
    pattern = re.compile(r"transaction\.on_commit|\.delay\(|\.apply_async\(|\bsend_mail\(|send_mass_mail\(")
    found = []
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            relative = path.relative_to(ROOT)
            if relative in allowed or "migrations" in relative.parts:
                continue
            for number, line in enumerate(path.read_text().splitlines(), 1):
                if pattern.search(line) and "def send_mail(" not in line:
                    found.append(f"{relative}:{number}: {line.strip()}")
    assert found == []


@pytest.mark.django_db
def test_daily_fan_outs_write_one_outbox_job_per_country(cast):
    from governance.tasks import reminders_send_all
    from training.tasks import certificate_reminders_all

    assert reminders_send_all() == 2 and certificate_reminders_all() == 2
    with country_context([cast.fr, cast.ke]):
        jobs = sorted(OutboxMessage.objects.values_list("task", "country_id"))
    assert jobs == sorted(
        [
            (task, country.pk)
            for task in ("governance.tasks.country_reminders_send", "training.tasks.certificate_reminders_send")
            for country in (cast.fr, cast.ke)
        ]
    )


@pytest.mark.django_db
def test_an_invitation_goes_through_the_mail_outbox(cast):
    from tenants import services
    from tests.tenants.test_worker import quiet_invitation

    invitation = quiet_invitation(cast, "newcomer")
    assert services.invitation_send(invitation_id=invitation.pk, country_id=cast.fr.pk) is True
    assert mail.outbox == []  # nothing sent inside the job that wrote it
    queued = OutgoingMail.objects.get(to="newcomer@example.org")
    # Written in the language of the invited newcomer's country (France), not the worker's.
    assert "invité" in queued.subject and services.invitation_token(invitation) in queued.body
    assert PlatformOutboxMessage.objects.filter(task="tenants.mail_send", kwargs={"mail_id": queued.pk}).exists()


def _broker_down(url: str = "redis://127.0.0.1:1/0"):  # nothing listens there
    class Down:
        def __enter__(self):
            self.real = current_app.conf.broker_url
            current_app.conf.broker_url = url
            current_app._pool = current_app.amqp._producer_pool = None
            return self

        def __exit__(self, *exc):
            current_app.conf.broker_url = self.real
            current_app._pool = current_app.amqp._producer_pool = None

    return Down()


@contextlib.contextmanager
def _silent_broker(hold_seconds: float = 15):
    """A broker that takes connections and never answers (a host gone, a firewall dropping
    packets), which lets them go after `hold_seconds`; its URL."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.1)
    held, stop = [], threading.Event()

    def take():
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except TimeoutError:
                continue
        for sock in held:
            sock.close()

    thread = threading.Thread(target=take, daemon=True)
    thread.start()
    timer = threading.Timer(hold_seconds, stop.set)
    timer.start()
    try:
        yield f"redis://127.0.0.1:{listener.getsockname()[1]}/0"
    finally:
        timer.cancel()
        stop.set()
        thread.join()
        listener.close()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("broker", ["refusing", "silent"])
def test_a_request_returns_at_once_when_the_broker_cannot_be_reached(cast, api, broker):
    """The request commits its work and its job, then publishes the job: a broker that refuses
    connections, or takes them and never answers, fails that publish in seconds, once; the person
    gets the normal answer and the job waits in the outbox for the relay."""
    api.force_login(cast.auditor)
    place = _silent_broker() if broker == "silent" else contextlib.nullcontext("redis://127.0.0.1:1/0")
    with place as url, _broker_down(url):
        started = time.monotonic()
        response = api.post(
            "/api/v1/countries/FR/compliance-reports/",
            {"period_start": "2026-01-01", "period_end": str(timezone.localdate())},
            format="json",
        )
        took = time.monotonic() - started
    assert response.status_code == 202, response.content
    with country_context(cast.fr):
        assert ComplianceReport.objects.get(pk=response.json()["id"]).state == "pending"
        message = OutboxMessage.objects.get(task="portal.compliance_report_build")
    assert message.published_at is None and message.attempts == 1 and message.last_error
    assert took < 5, f"the request waited {took:.1f} s for the broker"


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_report_requested_while_the_broker_is_down_is_built_once_it_is_back(cast, celery_worker_process):
    with _broker_down():
        with transaction.atomic():
            report = reports.report_request(
                country=cast.fr,
                access=access_for(cast.auditor),
                by=cast.auditor,
                period_start=dt.date(2026, 1, 1),
                period_end=timezone.localdate(),
            )
    # The request succeeded: the report and its job are saved, the job waits for the broker.
    with country_context(cast.fr):
        message = OutboxMessage.objects.get(task="portal.compliance_report_build")
        assert message.published_at is None and message.attempts == 1 and message.last_error
        assert ComplianceReport.objects.get(pk=report.pk).state == "pending"
    assert outbox.outbox_relay() == 1  # the broker is back: the beat relay publishes it

    def state():
        with country_context(cast.fr):
            return ComplianceReport.objects.get(pk=report.pk).state

    assert wait_for(lambda: state() if state() in ("done", "failed") else None, timeout=60) == "done"
    assert outbox.outbox_relay() == 0  # published once, never again


@pytest.mark.django_db
def test_a_stuck_report_is_run_again_then_ends_in_a_clear_failure(cast):
    from tenants.jobs.sweep import REDRIVES, TIMED_OUT, job_kinds, jobs_sweep

    assert {kind.model for kind in job_kinds()} >= {"portal.ComplianceReport", "tenants.CountryExport"}
    now = timezone.now()
    with country_context(cast.fr):
        fresh = ComplianceReport.objects.create(
            country=cast.fr, period_start=dt.date(2026, 1, 1), period_end=dt.date(2026, 2, 1)
        )
        stuck = ComplianceReport.objects.create(  # each its own period: one report is under way per period
            country=cast.fr,
            period_start=dt.date(2026, 1, 2),
            period_end=dt.date(2026, 2, 1),
            state="running",
            created_at=now - dt.timedelta(hours=3),
        )
        hopeless = ComplianceReport.objects.create(
            country=cast.fr,
            period_start=dt.date(2026, 1, 3),
            period_end=dt.date(2026, 2, 1),
            created_at=now - dt.timedelta(hours=2 * (REDRIVES + 1) + 1),
        )
        # Handed to a worker the first time and at each of its re-drives, long ago: every chance spent.
        for chance in range(REDRIVES + 1):
            OutboxMessage.objects.create(
                country=cast.fr,
                task="portal.compliance_report_build",
                kwargs={"country_id": cast.fr.pk, "report_id": hopeless.pk},
                created_at=now - dt.timedelta(hours=2 * (REDRIVES + 1 - chance) + 1),
                published_at=now,
            )
    assert jobs_sweep(now=now) == {"redriven": 1, "failed": 1}
    with country_context(cast.fr):
        jobs = list(
            OutboxMessage.objects.filter(task="portal.compliance_report_build", published_at__isnull=True).values_list(
                "kwargs", flat=True
            )
        )
        assert jobs == [{"country_id": cast.fr.pk, "report_id": stuck.pk}]
        assert ComplianceReport.objects.get(pk=fresh.pk).state == "pending"  # its worker may still come
        ended = ComplianceReport.objects.get(pk=hopeless.pk)
        assert (ended.state, ended.error, ended.step, ended.step_text) == ("failed", TIMED_OUT, "timed_out", TIMED_OUT)


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_report_completes_it_exactly_once(cast, celery_worker_process):
    import os
    import signal
    import subprocess

    from tenants.record.ledger import event_record
    from tenants.record.models import CountryEvent
    from tests.workers import worker_start

    queue = f"{settings.CELERY_TASK_DEFAULT_QUEUE}-report-kill"
    name = f"report-kill-worker-{os.getpid()}@{os.uname().nodename}"
    log_path = pytest_env.VAR_DIR / "test-report-kill-worker.log"
    with country_context(cast.fr):
        event_record(country=cast.fr, action="test.seeded", payload={"n": 1})
    with _broker_down():  # the job waits in the outbox, away from the suite's worker
        report = reports.report_request(
            country=cast.fr,
            access=access_for(cast.auditor),
            by=cast.auditor,
            period_start=dt.date(2026, 1, 1),
            period_end=timezone.localdate(),
        )

    def current():
        with country_context(cast.fr):
            return ComplianceReport.objects.get(pk=report.pk)

    # One prefork child does the job and is what we kill; each recorded step pauses 1.5 s.
    with open(log_path, "w") as log:
        worker = worker_start(queue=queue, name=name, log=log, REPORT_STEP_DELAY="1.5")
        try:
            wait_for(lambda: current_app.control.ping(timeout=0.5, destination=[name]), timeout=60)
            current_app.send_task(
                "portal.compliance_report_build", kwargs={"report_id": report.pk, "country_id": cast.fr.pk}, queue=queue
            )
            # Kill the child once it has recorded a step past the start and is pausing inside it.
            landed = wait_for(
                lambda: (r := current()).percent >= 20 and r.state == "running" and r, timeout=60, interval=0.05
            )
            children = subprocess.run(["pgrep", "-P", str(worker.pid)], capture_output=True, text=True).stdout.split()
            assert len(children) == 1
            os.kill(int(children[0]), signal.SIGKILL)
            at_kill = current()
            # Where the kill landed: inside the build, before the file and the completion were written.
            assert at_kill.state == "running" and 20 <= at_kill.percent < 100 and not at_kill.file_name
            assert landed.step and at_kill.finished_at is None
            # Late acknowledgement + reject_on_worker_lost: the job goes back and a new child builds it.
            done = wait_for(lambda: (r := current()).state in ("done", "failed") and r, timeout=120)
        finally:
            worker.terminate()
            try:
                worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                worker.kill()
    assert done.state == "done" and done.percent == 100, done.error
    text = log_path.read_text()
    assert "WorkerLostError" in text or "SIGKILL" in text
    with country_context(cast.fr):
        completed = CountryEvent.objects.filter(action="report.completed", target_id=str(report.pk)).count()
    assert completed == 1  # exactly once on the record
    # One stored file for this report: the killed run built in a scratch file and stored nothing.
    from tenants import files

    _, stored = files.storage().listdir("reports")
    assert files.file_exists(reports.report_stored_name(done))
    stem = done.file_name.removesuffix(".zip")
    # (a second copy would be stored beside it as `<stem>_<random>.zip`, a leftover as `<stem>.<suffix>`)
    beside = [name for name in stored if name.startswith((stem + "_", stem + ".")) and name != done.file_name]
    assert beside == []
