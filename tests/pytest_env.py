"""Loaded with `-p tests.pytest_env` before Django is set up: the environment of the suite.

The suite creates its database as the owning role (DATABASE_URL) and then, in conftest, runs
every query through the runtime role, so row-level security is exercised by every test."""

import os
import tempfile
from pathlib import Path

os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/portal")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/0")
os.environ["PORTAL_TESTING"] = "1"
os.environ["PORTAL_DB_ROLE"] = "owner"

# Under pytest-xdist, each worker process ("gw0", "gw1"…) loads this module too, with the
# environment the controlling process set here: every name below then gets the worker's suffix,
# so that the workers of one run share no queue, cache key, Redis prefix or file either.
XDIST_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")


def _own(name: str, value: str) -> None:
    """`name` is `value` unless the environment already says; under xdist, the worker's own."""
    os.environ.setdefault(name, value)
    if XDIST_WORKER and not os.environ[name].endswith(f"-{XDIST_WORKER}"):
        os.environ[name] = f"{os.environ[name]}-{XDIST_WORKER}"


# A database of its own per run, so that two runs on one machine never drop each other's
# (pytest-django adds the xdist worker's suffix to it itself).
os.environ.setdefault("TEST_DATABASE_NAME", f"test_portal_{os.getpid()}")
_own("CACHE_KEY_PREFIX", f"portal-test-{os.getpid()}")
_own("CELERY_QUEUE", f"portal-test-{os.getpid()}")
os.environ.setdefault("EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend")
# The processes the suite starts (its worker, beat, gunicorn) take their level from LOG_LEVEL, as in
# production; the tests read their INFO lines (a worker's "ready.", beat's "Starting...").
os.environ.setdefault("LOG_LEVEL", "INFO")
# The suite's stand-in model servers listen on loopback; a country's own server is one of them.
os.environ.setdefault("COUNTRY_NETWORKS", "127.0.0.0/8")

# The files of the run (stored files, development keys, the logs of the worker and of the gateway's
# processes) in a directory of its own, which every process the run starts inherits (VAR_DIR):
# never var/ of the checkout, which `make run` and other runs use. Always a fresh one, whatever
# VAR_DIR the shell had, since the end of the run deletes it (tests/conftest.py) unless the run
# failed. Under xdist each worker has a sub-directory of the controlling process's.
if XDIST_WORKER and os.environ.get("PORTAL_TEST_RUN_DIR"):
    VAR_DIR = Path(os.environ["PORTAL_TEST_RUN_DIR"]) / XDIST_WORKER
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    RUN_DIR_OWNED = False
else:
    VAR_DIR = Path(tempfile.mkdtemp(prefix=f"portal-test-{os.getpid()}-"))
    os.environ["PORTAL_TEST_RUN_DIR"] = str(VAR_DIR)
    RUN_DIR_OWNED = True
os.environ["VAR_DIR"] = str(VAR_DIR)
os.environ["MEDIA_ROOT"] = str(VAR_DIR / "media")
os.environ["STATIC_ROOT"] = str(VAR_DIR / "static")

# Hypothesis (schemathesis's engine) keeps its examples and caches in the run's directory: by default it
# writes `.hypothesis/` into the working directory, the checkout.
from hypothesis.configuration import set_hypothesis_home_dir  # noqa: E402

set_hypothesis_home_dir(VAR_DIR / "hypothesis")

# The governed gateway's tests: a key of their own, a Redis prefix of their own, and the stand-in
# upstreams' sockets bound here (ports chosen now, by the system), so that every process of the
# run — this one, the Celery worker, the gateway replicas — knows the upstreams from its start.
# eu-west has an upstream of its own; every other region falls to the catch-all one.
import base64  # noqa: E402
import socket  # noqa: E402


def _listening() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(512)
    return sock


os.environ.setdefault("GATEWAY_POLICY_KEY", base64.b64encode(os.urandom(32)).decode())
_own("GATEWAY_REDIS_PREFIX", f"gw-test-{os.getpid()}")
UPSTREAM_SOCKETS = {"eu-west": _listening(), "default": _listening()}
UPSTREAM_KEYS = {"eu-west": "standin-key-eu-west", "default": "standin-key-default"}
os.environ["GATEWAY_UPSTREAM_URL_EU_WEST"] = f"http://127.0.0.1:{UPSTREAM_SOCKETS['eu-west'].getsockname()[1]}/v1"
os.environ["GATEWAY_UPSTREAM_KEY_EU_WEST"] = UPSTREAM_KEYS["eu-west"]
os.environ["GATEWAY_UPSTREAM_URL"] = f"http://127.0.0.1:{UPSTREAM_SOCKETS['default'].getsockname()[1]}/v1"
os.environ["GATEWAY_UPSTREAM_KEY"] = UPSTREAM_KEYS["default"]
