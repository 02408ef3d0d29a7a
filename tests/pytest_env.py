"""Loaded with `-p tests.pytest_env` before Django is set up: the environment of the suite.

The suite creates its database as the owning role (DATABASE_URL) and then, in conftest, runs
every query through the runtime role, so row-level security is exercised by every test."""

import os

os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/portal")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/0")
os.environ["PORTAL_TESTING"] = "1"
os.environ["PORTAL_DB_ROLE"] = "owner"
# A database of its own per run, so that two runs on one machine never drop each other's.
os.environ.setdefault("TEST_DATABASE_NAME", f"test_portal_{os.getpid()}")
os.environ.setdefault("CACHE_KEY_PREFIX", f"portal-test-{os.getpid()}")
os.environ.setdefault("CELERY_QUEUE", f"portal-test-{os.getpid()}")
os.environ.setdefault("EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend")

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
os.environ.setdefault("GATEWAY_REDIS_PREFIX", f"gw-test-{os.getpid()}")
UPSTREAM_SOCKETS = {"eu-west": _listening(), "default": _listening()}
UPSTREAM_KEYS = {"eu-west": "standin-key-eu-west", "default": "standin-key-default"}
os.environ["GATEWAY_UPSTREAM_URL_EU_WEST"] = f"http://127.0.0.1:{UPSTREAM_SOCKETS['eu-west'].getsockname()[1]}/v1"
os.environ["GATEWAY_UPSTREAM_KEY_EU_WEST"] = UPSTREAM_KEYS["eu-west"]
os.environ["GATEWAY_UPSTREAM_URL"] = f"http://127.0.0.1:{UPSTREAM_SOCKETS['default'].getsockname()[1]}/v1"
os.environ["GATEWAY_UPSTREAM_KEY"] = UPSTREAM_KEYS["default"]
