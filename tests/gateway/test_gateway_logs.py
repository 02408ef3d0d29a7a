"""The gateway writes its log as the portal does: one JSON line per event with DEBUG off, readable
lines in development; and a Redis that does not answer is said once, then once a minute, not four
times a second."""

from __future__ import annotations

import json
import logging

from gateway.__main__ import logging_setup
from tests.gateway.processes import run_async


def _line(capsys, environ) -> str:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    logging_setup(environ)
    try:
        logging.getLogger("gateway").warning("Policy channel lost (%s); listening again", "ConnectionError")
    finally:
        root.handlers[:], root.level = handlers, level  # the suite's own logging, as it was
    return capsys.readouterr().err.strip()


def test_a_log_level_or_format_that_is_none_is_said_in_the_portal_s_words():
    """The gateway reads LOG_LEVEL and LOG_FORMAT as every process of the portal does: what one
    refuses, all refuse, with the same sentence (tenants.configuration)."""
    import pytest
    from django.core.exceptions import ImproperlyConfigured

    from tenants.configuration import json_logs, log_level

    cases = (
        ({"LOG_LEVEL": "loud"}, log_level, "LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL"),
        ({"LOG_FORMAT": "xml"}, json_logs, "LOG_FORMAT must be one of json, console"),
    )
    for environ, read, words in cases:
        with pytest.raises(ImproperlyConfigured) as portal:
            read(environ)
        with pytest.raises(SystemExit) as gateway:
            logging_setup(environ)
        assert str(gateway.value) == str(portal.value) and words in str(gateway.value)


def test_the_level_is_log_level_s_whatever_its_case(capsys):
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    try:
        logging_setup({"LOG_LEVEL": "warning"})
        assert root.level == logging.WARNING
    finally:
        root.handlers[:], root.level = handlers, level


def test_production_lines_are_json(capsys):
    line = json.loads(_line(capsys, {"DEBUG": "false"}))
    assert line["event"] == "Policy channel lost (ConnectionError); listening again"
    assert line["level"] == "warning" and line["logger"] == "gateway" and line["timestamp"].endswith("Z")


def test_development_lines_are_readable(capsys):
    line = _line(capsys, {"DEBUG": "true"})
    assert "WARNING gateway Policy channel lost" in line and not line.startswith("{")


def test_a_lost_channel_is_said_once_and_waited_out_longer_and_longer(caplog, monkeypatch):
    import asyncio

    from gateway import policies

    class Unreachable:
        def pubsub(self):
            raise ConnectionError("no Redis")

    sleeps = []

    async def sleep(seconds):
        sleeps.append(seconds)
        if len(sleeps) >= 10:
            raise asyncio.CancelledError

    store = policies.PolicyCache.__new__(policies.PolicyCache)
    store.redis, store.refresh_seconds = Unreachable(), 0.25
    store.keys = type("Keys", (), {"channel": "gw:policies"})()
    monkeypatch.setattr(policies.asyncio, "sleep", sleep)
    with caplog.at_level(logging.WARNING, logger="gateway"):
        try:
            run_async(store.listen)
        except asyncio.CancelledError:
            pass
    assert sleeps[:6] == [0.25, 0.5, 1.0, 2.0, 4.0, 5.0] and max(sleeps) == 5.0
    assert [r.getMessage() for r in caplog.records].count("Policy channel lost (ConnectionError); listening again") == 1


def test_the_stand_in_upstream_logs_at_log_level_in_the_portal_s_format(tmp_path):
    """`python -m gateway.standin` (make run's upstream) takes LOG_LEVEL and LOG_FORMAT as every
    process does: at INFO its server says it started, in JSON lines; a level that is none stops it
    with the portal's sentence."""
    import os
    import socket
    import subprocess
    import sys
    import time

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    environ = {**os.environ, "LOG_LEVEL": "INFO", "LOG_FORMAT": "json"}
    err = tmp_path / "standin.log"
    with open(err, "wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "gateway.standin", "--port", str(port)], env=environ, stderr=sink
        )
        try:
            deadline = time.monotonic() + 30
            while "startup complete" not in err.read_text() and time.monotonic() < deadline:
                assert process.poll() is None, err.read_text()
                time.sleep(0.1)
        finally:
            process.terminate()
            process.wait(10)
    lines = [json.loads(line) for line in err.read_text().splitlines() if line.strip()]
    assert any(line["level"] == "info" and "startup complete" in line["event"] for line in lines), lines
    refused = subprocess.run(
        [sys.executable, "-m", "gateway.standin", "--port", str(port)],
        env={**environ, "LOG_LEVEL": "loud"},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert refused.returncode != 0
    assert "LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL" in refused.stderr
