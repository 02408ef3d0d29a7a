"""Every process of the portal logs at LOG_LEVEL, read the one way (tenants.configuration): the web
(LOGGING, and gunicorn.conf.py for gunicorn's own lines), the Celery worker and beat (portal.celery
answers Celery's setup_logging, so Celery's `-l` option, WARNING when not given, no longer sets the
root logger over it) and the gateway. A real worker and a real beat are started here with
LOG_LEVEL=DEBUG: their debug lines come out, whatever `-l` says."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import wait_for
from tests.workers import worker_env

ROOT = Path(__file__).resolve().parents[2]
# The first line each writes once Celery has set its logging up: the worker's first step (a debug
# line itself), beat's start (at INFO; its ticks follow at DEBUG).
WORKER_SET_UP = "| Worker: Preparing bootsteps."
BEAT_SET_UP = "beat: Starting..."


def _records(path: Path) -> list[dict]:
    found = []
    for line in path.read_text().splitlines():
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(record, dict):
            found.append(record)
    return found


def _debug_after(path: Path, marker: str) -> bool:
    """A debug line after the line `marker` starts: written once Celery has set its logging up (the
    lines of the imports before it are written under LOGGING whatever `-l` later does)."""
    records = _records(path)
    starts = [i for i, record in enumerate(records) if str(record.get("event", "")).startswith(marker)]
    return bool(starts) and any(record.get("level") == "debug" for record in records[starts[0] :])


def _stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


def _run_until_debug(command: list[str], env: dict, log_path: Path, marker: str) -> None:
    with open(log_path, "w") as log:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        # Its start is written at INFO; its debug lines follow within seconds when LOG_LEVEL holds.
        wait_for(lambda: _debug_after(log_path, marker) or process.poll() is not None, timeout=60, interval=0.5)
    except AssertionError:
        pass
    finally:
        _stop(process)


@pytest.mark.django_db(transaction=True)
def test_a_worker_and_beat_log_at_log_level_whatever_their_command_line_says(tmp_path):
    import redis
    from django.conf import settings

    queue = f"log-level-{os.getpid()}-{time.monotonic_ns()}"
    env = worker_env(queue, LOG_LEVEL="DEBUG", LOG_FORMAT="json", BEAT_LOCK_KEY=f"{queue}:beat-lock")
    try:
        worker_log = tmp_path / "worker.log"
        _run_until_debug(
            # `-l INFO`, as the deployment files used to say: LOG_LEVEL wins, and the worker says so.
            [sys.executable, "-m", "celery", "-A", "portal", "worker", "--pool=solo", "--without-heartbeat"]
            + ["--without-gossip", "--without-mingle", "-Q", queue, "-n", f"{queue}@%h", "-l", "INFO"],
            env,
            worker_log,
            WORKER_SET_UP,
        )
        assert _debug_after(worker_log, WORKER_SET_UP), worker_log.read_text()[-3000:]
        events = [record.get("event", "") for record in _records(worker_log)]
        assert any("the command line's -l INFO is not used" in event for event in events), events

        beat_log = tmp_path / "beat.log"
        # As the deployment files start it: no `-l` (Celery's default would be WARNING).
        _run_until_debug(
            [sys.executable, "-m", "celery", "-A", "portal", "beat", "--pidfile=", "-s", str(tmp_path / "s")],
            env,
            beat_log,
            BEAT_SET_UP,
        )
        assert _debug_after(beat_log, BEAT_SET_UP), beat_log.read_text()[-3000:]
    finally:
        client = redis.Redis.from_url(settings.REDIS_URL)
        client.delete(queue, f"{queue}:beat-lock")
        client.close()
