"""Telemetry: a request id answered and carried into the jobs a request causes (through the outbox
row and the task's message header into the worker's JSON log lines), and Prometheus metrics for
the monitoring system only, added up across gunicorn's worker processes."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.db import transaction

from tenants.jobs.models import PlatformOutboxMessage
from tenants.jobs.outbox import outbox_enqueue
from tenants.telemetry import current_request_id, request_id_bind, request_id_reset
from tests import pytest_env
from tests.conftest import wait_for

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "metrics-token-for-the-suite-0123456789"


# --- Request ids -------------------------------------------------------------------------------------


def test_every_answer_names_its_request(client):
    first, second = client.get("/healthz"), client.get("/healthz")
    assert len(first["X-Request-ID"]) == 32 and first["X-Request-ID"] != second["X-Request-ID"]
    assert client.get("/healthz", HTTP_X_REQUEST_ID="lb-7f3a9c1e-0001")["X-Request-ID"] == "lb-7f3a9c1e-0001"
    forged = client.get("/healthz", HTTP_X_REQUEST_ID='x" "level":"critical')["X-Request-ID"]
    assert forged != 'x" "level":"critical' and len(forged) == 32  # never written into a log line as given


@pytest.mark.django_db
def test_a_job_written_during_a_request_keeps_its_request_id():
    token = request_id_bind("req-0123456789abcdef")
    try:
        with transaction.atomic():
            message = outbox_enqueue(task="tenants.outbox_relay")
    finally:
        request_id_reset(token)
    assert PlatformOutboxMessage.objects.get(pk=message.pk).request_id == "req-0123456789abcdef"
    assert current_request_id() == ""


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_the_worker_logs_the_task_with_the_request_id_as_json(celery_worker_process):
    log_path = pytest_env.VAR_DIR / "test-worker.log"
    request_id = f"req-{os.urandom(8).hex()}"
    token = request_id_bind(request_id)
    try:
        with transaction.atomic():
            outbox_enqueue(task="tenants.outbox_relay")  # published on commit, with the id as a header
    finally:
        request_id_reset(token)

    def logged():
        for line in log_path.read_text().splitlines():
            if request_id in line:
                return json.loads(line)
        return None

    record = wait_for(logged, timeout=30)
    assert record["event"] == "task started" and record["task"] == "tenants.outbox_relay"
    assert record["request_id"] == request_id and record["level"] == "info" and "timestamp" in record


# --- Metrics -----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_metrics_are_not_public(client, cast, settings):
    settings.METRICS_TOKEN = ""
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 404  # no token: no endpoint
    settings.METRICS_TOKEN = TOKEN
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 404
    for person in (cast.owner, cast.member, cast.outsider):  # being signed in is not enough
        client.force_login(person)
        assert client.get("/metrics").status_code == 404
    client.logout()
    assert client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").status_code == 200


@pytest.mark.django_db
def test_a_retired_metrics_token_is_accepted_while_its_window_is_open(client, settings):
    """Rotating the token (docs/operations.md): the portal takes the new one and, while the scrapers
    are given it, the old one too, until METRICS_TOKEN_FALLBACKS_UNTIL (or until it is removed)."""
    from datetime import timedelta

    from django.utils import timezone

    new = "metrics-token-after-the-rotation-0123456789"

    def answer(token: str) -> int:
        return client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {token}").status_code

    settings.METRICS_TOKEN, settings.METRICS_TOKEN_FALLBACKS, settings.METRICS_TOKEN_FALLBACKS_UNTIL = new, [], None
    assert (answer(new), answer(TOKEN)) == (200, 404)
    settings.METRICS_TOKEN_FALLBACKS = [TOKEN]
    assert (answer(new), answer(TOKEN), answer("wrong")) == (200, 200, 404)
    settings.METRICS_TOKEN_FALLBACKS_UNTIL = timezone.now() + timedelta(hours=1)
    assert (answer(new), answer(TOKEN)) == (200, 200)
    settings.METRICS_TOKEN_FALLBACKS_UNTIL = timezone.now() - timedelta(seconds=1)  # the window closed
    assert (answer(new), answer(TOKEN)) == (200, 404)
    # A retired token never opens the endpoint on its own: without a token there is no endpoint.
    settings.METRICS_TOKEN, settings.METRICS_TOKEN_FALLBACKS_UNTIL = "", None
    assert answer(TOKEN) == 404


@pytest.mark.django_db
def test_metrics_name_routes_jobs_and_the_ledger(client, settings):
    from portal.metrics import task_outcome_count

    settings.METRICS_TOKEN = TOKEN
    client.get("/healthz")
    client.get("/c/fr/nothing-here/")
    client.generic("AAAA", "/healthz")  # any word may come as a method: it makes no series of its own
    PlatformOutboxMessage.objects.create(task="tenants.mail_send", kwargs={})
    task_outcome_count("portal.compliance_report_build", "failure")
    body = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").content.decode()
    assert 'portal_http_requests_total{method="GET",route="healthz",status="200"}' in body
    assert "portal_http_request_seconds_bucket" in body and "portal_http_request_db_seconds_bucket" in body
    assert "/c/fr/nothing-here/" not in body  # routes, never paths
    assert 'method="AAAA"' not in body and 'method="other"' in body
    assert "portal_outbox_pending 1.0" in body and "portal_outbox_oldest_pending_seconds" in body
    assert "portal_ledger_verification_ok -1.0" in body  # no verification has run in this test
    assert 'portal_task_runs_total{outcome="failure",task="portal.compliance_report_build"}' in body


@pytest.mark.django_db
def test_metrics_show_jobs_waiting_in_the_broker_and_the_relay_s_age(client, settings):
    """With the workers down, jobs wait in the broker, not in the outbox: the metrics say how many,
    and how long ago a worker last ran the relay."""
    import uuid

    import redis

    from tenants.jobs import health

    settings.METRICS_TOKEN = TOKEN
    settings.CELERY_TASK_DEFAULT_QUEUE = queue = f"metrics-test-{uuid.uuid4().hex}"
    broker = redis.Redis.from_url(settings.REDIS_URL)
    try:
        broker.rpush(queue, b"a", b"b", b"c")
        broker.rpush(f"{queue}\x06\x163", b"d")  # a job of priority 3 (Celery's Redis transport)
        health.relay_heartbeat_record()
        body = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").content.decode()
    finally:
        broker.delete(queue, f"{queue}\x06\x163")
        broker.close()
    assert "portal_broker_jobs_waiting 4.0" in body
    age = float(
        next(line for line in body.splitlines() if line.startswith("portal_outbox_relay_age_seconds ")).split()[1]
    )
    assert 0 <= age < 30
    assert "portal_redis_up 1.0" in body and "portal_database_up 1.0" in body


@pytest.mark.django_db
def test_a_scrape_answers_when_redis_or_the_database_does_not(client, settings, monkeypatch):
    settings.METRICS_TOKEN = TOKEN
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    body = response.content.decode()
    assert response.status_code == 200 and "portal_redis_up 0.0" in body and "portal_database_up 1.0" in body
    assert "portal_broker_jobs_waiting" not in body and "portal_outbox_pending" in body

    from tenants.jobs import outbox

    def refuse(*args, **kwargs):
        raise OSError("connection refused")

    monkeypatch.setattr(outbox, "outbox_pending_count", refuse)
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    body = response.content.decode()
    assert response.status_code == 200 and "portal_database_up 0.0" in body and "portal_outbox_pending" not in body
    assert "portal_http_requests_total" in body  # the requests' series are still there


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.django_db(transaction=True)
def test_metrics_add_up_every_gunicorn_worker(tmp_path):
    """Two gunicorn worker processes answer; /metrics counts the requests of both."""
    from tests.workers import worker_env

    port = _free_port()
    env = worker_env("unused", METRICS_TOKEN=TOKEN, PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "metrics"))
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "portal.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "--threads",
            "1",
            "--access-logfile",
            "/dev/null",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"

    def healthz_count() -> float:
        request = urllib.request.Request(f"{base}/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
        body = urllib.request.urlopen(request, timeout=30).read().decode()
        prefix = 'portal_http_requests_total{method="GET",route="healthz"'
        return sum(float(line.rsplit(" ", 1)[1]) for line in body.splitlines() if line.startswith(prefix))

    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                urllib.request.urlopen(f"{base}/healthz", timeout=30)
                break
            except OSError:
                assert time.monotonic() < deadline and server.poll() is None, "gunicorn did not start"
                time.sleep(0.3)
        before = healthz_count()
        # Eight at a time, so that both processes (one thread each) answer some of them.
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda _: urllib.request.urlopen(f"{base}/healthz", timeout=30).read(), range(40)))
        after = healthz_count()
        files = list((tmp_path / "metrics").glob("counter_*.db"))
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert after - before == 40  # every request counted once, whichever process answered it
    assert len(files) == 2  # one file per worker process: both answered, and both are counted
