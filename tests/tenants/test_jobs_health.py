"""Worker and beat health, reported apart from the web's readiness by `manage.py jobs_health`."""

from __future__ import annotations

import os
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.utils import timezone

from tenants.jobs.health import RELAY_HEARTBEAT_KEY, jobs_health
from tenants.jobs.models import PlatformOutboxMessage
from tests.conftest import wait_for


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_the_relay_run_by_a_worker_is_the_heartbeat(celery_worker_process, capsys):
    from portal.celery import app

    cache.delete(RELAY_HEARTBEAT_KEY)
    with pytest.raises(SystemExit):
        call_command("jobs_health", "--beat")  # never ran: beat (or every worker) is down
    app.send_task("tenants.outbox_relay", queue=app.conf.task_default_queue)
    wait_for(lambda: cache.get(RELAY_HEARTBEAT_KEY) is not None)
    call_command("jobs_health", "--beat")
    call_command("jobs_health")
    out = capsys.readouterr().out
    assert f"test-worker-{os.getpid()}@" in out and "relay last ran: " in out


@pytest.mark.django_db
def test_the_outbox_depth_and_the_age_of_the_oldest_waiting_job():
    PlatformOutboxMessage.objects.create(
        task="tenants.mail_send", kwargs={}, created_at=timezone.now() - timedelta(minutes=5)
    )
    PlatformOutboxMessage.objects.create(task="tenants.mail_send", kwargs={})
    report = jobs_health(ping_timeout=0)
    assert report["outbox_pending"] == 2
    assert 300 <= report["outbox_oldest_pending_seconds"] < 360
