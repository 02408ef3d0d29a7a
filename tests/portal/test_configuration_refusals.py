"""A wrong configuration value stops the portal at start with one line naming the variable, what is
wrong and what is expected: never a traceback, and never the value of a secret or of an address
(which may carry a password). Each is tried on a real `manage.py check`, and the same line is what
a Celery worker and gunicorn print."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.portal.test_production_settings import production_env

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "S3cretPassw0rd"  # must never be written back
MISSING = "/nonexistent/portal-secrets"


def run(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def development_env(**changes: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"PORTAL_TESTING", "PORTAL_DB_ROLE"}}
    env.update(DEBUG="true", **changes)
    return env


def assert_one_line_naming(result: subprocess.CompletedProcess, *named: str) -> None:
    said = result.stderr.strip()
    assert result.returncode != 0, result.stdout
    assert "Traceback" not in said, said
    assert len(said.splitlines()) == 1, said
    assert said.startswith("The portal's settings are not complete: "), said
    for words in named:
        assert words in said, said
    assert PASSWORD not in result.stdout + result.stderr


@pytest.mark.parametrize(
    "changes, named",
    [
        ({"SECRET_KEY_FILE": f"{MISSING}/secret_key"}, ["SECRET_KEY_FILE names", "No such file", "readable file"]),
        ({"METRICS_TOKEN_FILE": MISSING}, ["METRICS_TOKEN_FILE names", "cannot be read"]),
        ({"METRICS_TOKEN_FALLBACKS_FILE": MISSING}, ["METRICS_TOKEN_FALLBACKS_FILE names", "cannot be read"]),
        ({"SECRET_KEY_FALLBACKS_FILE": MISSING}, ["SECRET_KEY_FALLBACKS_FILE names", "cannot be read"]),
        ({"CERTIFICATE_KEY_FALLBACKS_FILE": MISSING}, ["CERTIFICATE_KEY_FALLBACKS_FILE names", "cannot be read"]),
        (
            {"METRICS_TOKEN_FALLBACKS_UNTIL": "next week"},
            ["METRICS_TOKEN_FALLBACKS_UNTIL must be a date and time in ISO 8601 with its offset", "'next week'"],
        ),
        ({"METRICS_TOKEN_FALLBACKS_UNTIL": "2027-01-31T18:00:00"}, ["METRICS_TOKEN_FALLBACKS_UNTIL must be"]),
        ({"DATABASE_URL_FILE": "/"}, ["DATABASE_URL_FILE names /", "Is a directory"]),
        ({"LOG_LEVEL": "verbose"}, ["LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL", "'verbose'"]),
        ({"LOG_FORMAT": "xml"}, ["LOG_FORMAT must be one of json, console"]),
        ({"DATABASE_URL": f"postgres://portal:{PASSWORD}@db:port/portal"}, ["DATABASE_URL must be a database address"]),
        ({"DATABASE_URL": PASSWORD}, ["DATABASE_URL must be a database address", "does not start with"]),
        ({"APP_DATABASE_URL": f"postgres://portal_app:{PASSWORD}@[db/portal"}, ["APP_DATABASE_URL must be"]),
        ({"REDIS_URL": f"redis://:{PASSWORD}@redis:port/0"}, ["REDIS_URL must be an address such as redis://"]),
        ({"REDIS_URL": f"http://:{PASSWORD}@redis:6379/0"}, ["REDIS_URL", "redis:// or rediss:// or unix://"]),
        ({"REDIS_URL": f"redis://:{PASSWORD}@redis:6379/zero"}, ["REDIS_URL", "a database number"]),
        ({"PORTAL_BASE_URL": "portal.example.org"}, ["PORTAL_BASE_URL must be an address", "http:// or https://"]),
        ({"PORTAL_BASE_URL": "https://"}, ["PORTAL_BASE_URL", "names no host"]),
        ({"GATEWAY_PUBLIC_URL": "https://gateway:port"}, ["GATEWAY_PUBLIC_URL", "port cannot be read"]),
        ({"SESSION_COOKIE_AGE": "eight hours"}, ["SESSION_COOKIE_AGE must be a whole number", "'eight hours'"]),
        ({"EMAIL_PORT": "-25"}, ["EMAIL_PORT must be a whole number of at least 0"]),
        ({"PROVISIONING_STEP_DELAY": "soon"}, ["PROVISIONING_STEP_DELAY must be a number"]),
        ({"SECURE_SSL_REDIRECT": "maybe"}, ["SECURE_SSL_REDIRECT must be true or false"]),
        ({"STORAGE_BACKEND": "ftp"}, ["STORAGE_BACKEND must be one of local, s3"]),
    ],
)
def test_a_wrong_value_stops_the_start_with_one_line(changes, named):
    assert_one_line_naming(run(sys.executable, "manage.py", "check", env=development_env(**changes)), *named)


def test_a_key_file_that_is_not_there_stops_a_production_start(tmp_path):
    subprocess.run(
        [sys.executable, "scripts/generate_secrets.py", "--dir", str(tmp_path)],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    env = production_env(tmp_path, PORTAL_MASTER_KEY_FILE=f"{MISSING}/master_key")
    assert_one_line_naming(
        run(sys.executable, "manage.py", "check", env=env),
        "The portal will not start with DEBUG off: PORTAL_MASTER_KEY_FILE names",
        "No such file",
    )


def test_the_worker_and_gunicorn_say_it_the_same_way():
    bad_url = development_env(DATABASE_URL=f"postgres://portal:{PASSWORD}@db:port/portal")
    worker = run(sys.executable, "-m", "celery", "-A", "portal", "worker", "--pool=solo", env=bad_url)
    assert_one_line_naming(worker, "DATABASE_URL must be a database address")
    gunicorn = run(
        sys.executable, "-m", "gunicorn", "--check-config", "portal.wsgi", env=development_env(GUNICORN_WORKERS="x")
    )
    assert_one_line_naming(gunicorn, "GUNICORN_WORKERS must be a whole number")
