"""A Celery worker of a test's own, beside the suite's (conftest.celery_worker_process): on a queue
of its own, with the suite worker's environment plus what the test adds, so that the test may slow
it down, point it elsewhere or kill it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

from django.db import connections

ROOT = Path(__file__).resolve().parent.parent


def worker_env(queue: str, **extra) -> dict:
    """The suite worker's environment, on `queue`, with `extra` settings on top."""
    db = connections["default"].settings_dict
    base, _, _ = os.environ["DATABASE_URL"].rpartition("/")
    credentials = quote(db["USER"], safe="") + (f":{quote(db['PASSWORD'], safe='')}" if db.get("PASSWORD") else "")
    host = db["HOST"] or "127.0.0.1"
    host = quote(host, safe="") if host.startswith("/") else host
    env = dict(os.environ)
    env.update(
        DATABASE_URL=f"{base}/{db['NAME']}",
        PORTAL_DB_ROLE="app",
        DB_CONN_MAX_AGE="0",
        APP_DATABASE_URL=f"postgres://{credentials}@{host}:{db['PORT'] or 5432}/{db['NAME']}",
        CELERY_QUEUE=queue,
        **extra,
    )
    return env


def worker_start(*, queue: str, name: str, log, pool: str = "prefork", **extra) -> subprocess.Popen:
    """Start the worker `name` on `queue`, writing to the open file `log`. The prefork pool has one
    child process, which does each job (and is what a test kills); `solo` does it in the worker."""
    pool_args = ["--pool=prefork", "--concurrency=1"] if pool == "prefork" else [f"--pool={pool}"]
    command = [sys.executable, "-m", "celery", "-A", "portal", "worker", *pool_args]
    command += ["--without-heartbeat", "--without-gossip", "--without-mingle", "-Q", queue, "-n", name]
    return subprocess.Popen(command, cwd=ROOT, env=worker_env(queue, **extra), stdout=log, stderr=subprocess.STDOUT)
