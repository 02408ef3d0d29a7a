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
