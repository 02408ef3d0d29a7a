"""Every process writes one JSON object a line (LOG_FORMAT=json): gunicorn's own lines and its
access lines, whatever a path or a user agent holds (a tab, a quote, a backslash), and a Celery
worker's and beat's lines from their start to their stop, as the portal's own lines are."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import wait_for
from tests.workers import worker_env, worker_start

ROOT = Path(__file__).resolve().parents[2]
AWKWARD_PATH = '/healthz/\t"x\\'  # sent percent-encoded: PATH_INFO holds the tab, quote and backslash
AWKWARD_AGENT = 'probe\t"quoted" \\ back'


def _port() -> int:
    for port in range(18100, 18200):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    pytest.fail("no free port in 18100-18199")


def _lines(path: Path) -> list[dict]:
    """Every line of the log, each read as JSON (a line that is not one fails the test, named)."""
    records = []
    for line in path.read_text().splitlines():
        if line.strip():
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                pytest.fail(f"a log line is not JSON: {line!r}")
            assert isinstance(record, dict) and "event" in record and "level" in record, line
            records.append(record)
    return records


def _stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


@pytest.mark.django_db(transaction=True)
def test_gunicorn_writes_json_lines_whatever_the_request_holds(tmp_path):
    port = _port()
    log_path = tmp_path / "gunicorn.log"
    env = worker_env("unused", LOG_FORMAT="json", PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "metrics"))
    with open(log_path, "w") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "portal.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "1"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:

        def answers() -> bool:
            try:
                return urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=10).status == 200
            except OSError:
                assert server.poll() is None, log_path.read_text()
                return False

        wait_for(answers, timeout=90, interval=0.3)
        with socket.create_connection(("127.0.0.1", port), timeout=30) as connection:
            connection.sendall(
                b"GET /healthz/%09%22x%5C HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                + f"User-Agent: {AWKWARD_AGENT}\r\n\r\n".encode()
            )
            answer = b""
            while chunk := connection.recv(65536):
                answer += chunk
        assert answer.startswith(b"HTTP/1.1 404"), answer[:100]
        wait_for(lambda: AWKWARD_AGENT.split("\t")[0] in log_path.read_text(), timeout=30)
    finally:
        _stop(server)
    records = _lines(log_path)
    access = [r for r in records if r.get("logger") == "gunicorn.access"]
    awkward = next(r for r in access if r["path"] == AWKWARD_PATH)
    assert awkward["user_agent"] == AWKWARD_AGENT and awkward["status"] == 404 and awkward["method"] == "GET"
    assert len(awkward["request_id"]) == 32 and isinstance(awkward["duration_us"], int)
    events = {r["event"] for r in records if r.get("logger") == "gunicorn.error"}
    assert any(event.startswith("Starting gunicorn") for event in events), events
    assert any(event.startswith("Booting worker") for event in events), events
    assert "Shutting down: Master" in events


@pytest.mark.django_db(transaction=True)
def test_a_celery_worker_and_beat_write_json_lines_from_start_to_stop(tmp_path):
    import redis
    from django.conf import settings

    queue = f"json-logs-{os.getpid()}-{time.monotonic_ns()}"
    worker_log = tmp_path / "worker.log"
    with open(worker_log, "w") as log:
        worker = worker_start(queue=queue, name=f"json-logs-{os.getpid()}@%h", log=log, pool="solo", LOG_FORMAT="json")
    try:
        wait_for(lambda: " ready." in worker_log.read_text() or worker.poll() is not None, timeout=90)
    finally:
        _stop(worker)
    events = [r["event"] for r in _lines(worker_log)]
    assert any(event.startswith("Connected to redis://") for event in events), events
    assert any(event.endswith(" ready.") for event in events), events
    assert any("Warm shutdown" in event for event in events), events

    beat_log = tmp_path / "beat.log"
    env = worker_env(queue, LOG_FORMAT="json", BEAT_LOCK_KEY=f"{queue}:beat-lock")
    with open(beat_log, "w") as log:
        beat = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "portal", "beat", "--pidfile=", "-s", str(tmp_path / "s")],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_for(lambda: "beat: Starting" in beat_log.read_text() or beat.poll() is not None, timeout=90)
    finally:
        _stop(beat)
        client = redis.Redis.from_url(settings.REDIS_URL)
        client.delete(queue, f"{queue}:beat-lock")
        client.close()
    assert "beat: Starting..." in [r["event"] for r in _lines(beat_log)]
