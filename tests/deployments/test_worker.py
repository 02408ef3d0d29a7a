"""Provisioning with real Celery workers: a job goes through the outbox to the suite's worker and
completes; a worker process killed with SIGKILL mid-job leaves, once the job is redelivered,
exactly one environment and one credential; a broker outage at approval loses no job (the outbox
holds it until the relay reaches the broker again)."""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connections

from deployments import services, tasks
from deployments.models import Credential, CredentialReveal, Environment, ProvisioningJob
from tenants.isolation import country_context
from tenants.jobs import outbox
from tenants.jobs.models import OutboxMessage
from tests import pytest_env
from tests.conftest import wait_for
from tests.deployments.conftest import act, draft
from tests.workers import worker_start

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]
ROOT = Path(__file__).resolve().parents[2]


def submitted(cast, ready):
    item = draft(cast, ready)
    return services.deployment_request_transition(request=item, action="submit", **act(cast.member))


def job_of(cast, item) -> ProvisioningJob | None:
    with country_context(cast.fr):
        return ProvisioningJob.objects.filter(request=item).first()


def counts(cast, item) -> tuple[int, int]:
    with country_context(cast.fr):
        return (
            Environment.objects.filter(request=item).count(),
            Credential.objects.filter(environment__request=item).count(),
        )


def test_a_provisioning_job_completes_through_the_outbox(celery_worker_process, cast, ready):
    item = submitted(cast, ready)
    services.deployment_request_transition(request=item, action="approve", **act(cast.partner))
    # The commit's kick published the outbox row; the worker runs the job.
    wait_for(lambda: (job := job_of(cast, item)) is not None and job.state == "done", timeout=30)
    with country_context(cast.fr):
        assert not OutboxMessage.objects.filter(published_at__isnull=True).exists()
        item.refresh_from_db()
        assert item.state == "active"
        assert CredentialReveal.objects.filter(user=cast.member).count() == 1
    assert counts(cast, item) == (1, 1)


def _approve_with_broker_down(cast, item):
    """Approve while the broker is unreachable: the job waits in the outbox, unpublished."""
    from portal.celery import app

    real = app.conf.broker_url
    app.conf.broker_url = "redis://127.0.0.1:1/0"  # nothing listens there
    app._pool = app.amqp._producer_pool = None  # publish through a fresh connection to it
    try:
        services.deployment_request_transition(request=item, action="approve", **act(cast.partner))
    finally:
        app.conf.broker_url = real
        app._pool = app.amqp._producer_pool = None


def test_a_broker_outage_at_approval_loses_no_job(celery_worker_process, cast, ready):
    item = submitted(cast, ready)
    _approve_with_broker_down(cast, item)
    with country_context(cast.fr):
        message = OutboxMessage.objects.get(task="deployments.provisioning_run", kwargs__job_id=job_of(cast, item).pk)
    assert message.published_at is None and message.attempts == 1 and message.last_error
    assert job_of(cast, item).state == "pending"
    # The broker is back: the beat relay publishes every message the outage held (the job, and the
    # approval's notification mail since decisions are notified) and the worker does the job.
    assert outbox.outbox_relay() >= 1
    with country_context(cast.fr):
        message.refresh_from_db()
        assert message.published_at is not None
        assert not OutboxMessage.objects.filter(published_at__isnull=True).exists()
    wait_for(lambda: job_of(cast, item).state == "done", timeout=30)
    assert counts(cast, item) == (1, 1)


def _uncommitted_writes(model) -> bool:
    """Another session of this database holds a write lock on the model's table: it has written
    rows that it has not committed yet."""
    with connections["default"].cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
            "WHERE l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
            "AND c.relname = %s AND l.mode = 'RowExclusiveLock' AND l.granted AND l.pid <> pg_backend_pid()",
            [model._meta.db_table],
        )
        return cursor.fetchone()[0] > 0


def test_a_worker_killed_mid_job_leaves_one_environment_and_one_credential(celery_worker_process, cast, ready):
    from portal.celery import app

    queue = f"{settings.CELERY_TASK_DEFAULT_QUEUE}-kill"
    name = f"kill-worker-{os.getpid()}@{os.uname().nodename}"
    log_path = pytest_env.VAR_DIR / "test-kill-worker.log"
    log = open(log_path, "w")
    # A prefork worker with one child process, which does the job and is what we kill. Each step
    # waits 2 s before it commits, so the kill lands inside a step, after its rows were written.
    worker = worker_start(queue=queue, name=name, log=log, PROVISIONING_STEP_DELAY="2")
    try:
        wait_for(lambda: app.control.ping(timeout=0.5, destination=[name]), timeout=60)
        item = submitted(cast, ready)
        _approve_with_broker_down(cast, item)  # keeps the job away from the suite's worker
        job = job_of(cast, item)
        tasks.provisioning_run.apply_async(kwargs={"country_id": cast.fr.pk, "job_id": job.pk}, queue=queue)
        # The kill must land inside the credential step: its rows written, not yet committed (the
        # step waits 2 s before it commits). The worker's open insert shows as its lock on the table.
        wait_for(lambda: job_of(cast, item).steps[1]["done_at"], timeout=30, interval=0.05)
        wait_for(lambda: _uncommitted_writes(Credential), timeout=10, interval=0.02)
        assert not job_of(cast, item).steps[2]["done_at"]
        children = subprocess.run(
            ["pgrep", "-P", str(worker.pid)], capture_output=True, text=True, check=False
        ).stdout.split()
        assert len(children) == 1
        os.kill(int(children[0]), signal.SIGKILL)
        # Late acknowledgement + reject_on_worker_lost: the message goes back and a new child finishes.
        wait_for(lambda: job_of(cast, item).state == "done", timeout=60)
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
        log.close()
    assert counts(cast, item) == (1, 1)
    assert job_of(cast, item).attempts == 2  # the killed run and the one that finished
    assert "WorkerLostError" in log_path.read_text() or "SIGKILL" in log_path.read_text()
    with country_context(cast.fr):
        assert CredentialReveal.objects.count() == 1


def test_a_job_stranded_by_a_killed_worker_is_picked_up_by_the_sweep_and_completes(celery_worker_process, cast, ready):
    """The whole worker died mid-job with the job's message (the broker would hand it back only after
    its visibility timeout, six hours on): the sweep hands the job over again through the outbox,
    and a worker finishes it from the step it stopped at."""
    import datetime as dt

    from django.utils import timezone

    from tenants.jobs.sweep import jobs_sweep

    item = submitted(cast, ready)
    _approve_with_broker_down(cast, item)  # the job and its message, never reaching the suite's worker
    long_ago = timezone.now() - dt.timedelta(minutes=7)
    with country_context(cast.fr):
        # Handed to a worker seven minutes ago, which was killed inside the first step: the step's
        # transaction rolled back, so the row still says pending.
        job = ProvisioningJob.objects.get(request=item)
        ProvisioningJob.objects.filter(pk=job.pk).update(created_at=long_ago)
        OutboxMessage.objects.filter(kwargs__job_id=job.pk).update(created_at=long_ago, published_at=long_ago)
    assert jobs_sweep() == {"redriven": 1, "failed": 0}
    wait_for(lambda: job_of(cast, item).state == "done", timeout=30)
    assert counts(cast, item) == (1, 1)
    with country_context(cast.fr):
        item.refresh_from_db()
        assert item.state == "active"
