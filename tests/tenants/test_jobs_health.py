"""Worker and beat health, reported apart from the web's readiness by `manage.py jobs_health`."""

from __future__ import annotations

import os
import re
import secrets
import socket
import subprocess
import sys
import time
from datetime import timedelta

import pytest
from celery import current_app
from django.conf import settings
from django.core.cache import cache
from django.core.management import call_command
from django.utils import timezone

from tenants.jobs.health import BEAT_HEARTBEAT_KEY, RELAY_HEARTBEAT_KEY, beat_heartbeat_age, jobs_health
from tenants.jobs.models import PlatformOutboxMessage
from tests.conftest import wait_for
from tests.workers import ROOT, worker_env, worker_start


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_the_relay_run_by_a_worker_is_the_heartbeat(celery_worker_process, capsys):
    from portal.celery import app

    cache.delete(RELAY_HEARTBEAT_KEY)
    with pytest.raises(SystemExit):
        call_command("jobs_health")  # a worker answers, but the relay never ran: beat is down
    app.send_task("tenants.outbox_relay", queue=app.conf.task_default_queue)
    wait_for(lambda: cache.get(RELAY_HEARTBEAT_KEY) is not None)
    call_command("jobs_health")
    out = capsys.readouterr().out
    assert f"test-worker-{os.getpid()}@" in out and "relay last ran: " in out


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_worker_probe_passes_while_it_runs_and_fails_once_it_stopped(tmp_path, capsys):
    """`jobs_health --worker NAME` (the worker's health check in compose and Kubernetes) asks that
    worker alone: another worker answering does not hide it."""
    name = f"probe-worker-{os.getpid()}-{secrets.token_hex(3)}@{socket.gethostname()}"
    queue = f"{settings.CELERY_TASK_DEFAULT_QUEUE}-probe"
    with open(tmp_path / "worker.log", "w") as log:
        worker = worker_start(queue=queue, name=name, log=log, pool="solo")
        try:
            wait_for(lambda: current_app.control.ping(timeout=0.5, destination=[name]), timeout=90)
            call_command("jobs_health", "--worker", name, "--timeout", "5")
            assert f"workers answering: {name}" in capsys.readouterr().out
        finally:
            worker.terminate()
            worker.wait(timeout=60)
    with pytest.raises(SystemExit) as down:
        call_command("jobs_health", "--worker", name, "--timeout", "2")
    assert down.value.code == 1
    assert "workers answering: none" in capsys.readouterr().out


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_the_beat_probe_follows_its_last_tick(tmp_path, settings, capsys):
    """beat writes a heartbeat on every tick; `jobs_health --beat` (its health check) passes while it
    ticks and fails once the heartbeat is older than BEAT_STALE_SECONDS, whatever the workers do."""
    settings.BEAT_STALE_SECONDS = 4
    cache.delete(BEAT_HEARTBEAT_KEY.format(host=socket.gethostname()))
    with pytest.raises(SystemExit):
        call_command("jobs_health", "--beat")  # never ticked
    assert "last ticked: never" in capsys.readouterr().out
    queue = f"{settings.CELERY_TASK_DEFAULT_QUEUE}-beat-probe"
    env = worker_env(queue, BEAT_LOCK_KEY=f"test-beat-lock-{secrets.token_hex(4)}", BEAT_LOCK_SECONDS="3")
    command = [sys.executable, "-m", "celery", "-A", "portal", "beat", "--pidfile="]
    with open(tmp_path / "beat.log", "w") as log:
        beat = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            wait_for(lambda: beat_heartbeat_age() is not None, timeout=90)
            time.sleep(5)  # longer than the stale age: only fresh ticks keep it passing
            call_command("jobs_health", "--beat")
            assert "beat on this host last ticked: " in capsys.readouterr().out
        finally:
            beat.terminate()
            beat.wait(timeout=60)
    wait_for(lambda: (beat_heartbeat_age() or 0) > 4, timeout=30)
    with pytest.raises(SystemExit) as stale:
        call_command("jobs_health", "--beat")
    assert stale.value.code == 1


@pytest.mark.django_db
def test_the_outbox_depth_and_the_age_of_the_oldest_waiting_job():
    PlatformOutboxMessage.objects.create(
        task="tenants.mail_send", kwargs={}, created_at=timezone.now() - timedelta(minutes=5)
    )
    PlatformOutboxMessage.objects.create(task="tenants.mail_send", kwargs={})
    report = jobs_health(ping_timeout=0)
    assert report["outbox_pending"] == 2
    assert 300 <= report["outbox_oldest_pending_seconds"] < 360


@pytest.mark.django_db
def test_asked_from_another_container_it_names_the_latest_beat_and_its_host(capsys):
    """A worker's container has no beat of its own: jobs_health there tells when any beat last
    ticked, and where, rather than "never" for its own host."""
    from tenants.jobs.health import BEAT_LATEST_KEY, beat_heartbeat_record

    cache.delete(BEAT_LATEST_KEY)
    beat_heartbeat_record(host="portal-beat-7c9f")
    try:
        call_command("jobs_health", "--timeout", "0.2")
    except SystemExit:
        pass  # whether a worker of the run answers is not this test's question
    out = capsys.readouterr().out
    assert re.search(r"beat last ticked: \d+(\.\d+)? s ago, on portal-beat-7c9f", out), out
    assert "on this host" not in out
