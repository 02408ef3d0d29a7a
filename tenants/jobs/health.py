"""The health of the background machinery, reported apart from the web's readiness: which workers
answer, when the relay last ran (beat sends it every few seconds and a worker runs it, so a fresh
heartbeat shows both alive), and how much and how long work waits in the outbox."""

from __future__ import annotations

import time

from celery import current_app
from django.core.cache import cache
from django.utils import timezone

from tenants.jobs.outbox import outbox_oldest_pending_at, outbox_pending_count

RELAY_HEARTBEAT_KEY = "jobs:relay-heartbeat"
# beat sends the relay every 10 s: a heartbeat older than this means beat or every worker is down.
RELAY_STALE_SECONDS = 120


def relay_heartbeat_record() -> None:
    cache.set(RELAY_HEARTBEAT_KEY, time.time(), timeout=None)


def relay_heartbeat_age() -> float | None:
    """Seconds since the relay last ran, or None if it never did."""
    last = cache.get(RELAY_HEARTBEAT_KEY)
    return None if last is None else max(0.0, time.time() - float(last))


def workers_answering(timeout: float = 2.0) -> list[str]:
    """The names of the workers that answer a ping within `timeout` seconds."""
    replies = current_app.control.ping(timeout=timeout) or []
    return sorted(name for reply in replies for name in reply)


def jobs_health(*, ping_timeout: float = 2.0) -> dict:
    """Everything an operator asks first when jobs seem stuck."""
    oldest = outbox_oldest_pending_at()
    age = relay_heartbeat_age()
    return {
        "workers": workers_answering(ping_timeout) if ping_timeout > 0 else [],
        "relay_heartbeat_age_seconds": None if age is None else round(age, 1),
        "relay_stale": age is None or age > RELAY_STALE_SECONDS,
        "outbox_pending": outbox_pending_count(),
        "outbox_oldest_pending_seconds": None
        if oldest is None
        else round((timezone.now() - oldest).total_seconds(), 1),
    }
