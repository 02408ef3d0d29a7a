"""The health of the background machinery, reported apart from the web's readiness: which workers
answer, when this host's beat last ticked (it writes a heartbeat on every tick: portal/beat.py),
when the relay last ran (beat sends it every few seconds and a worker runs it, so a fresh heartbeat
shows both alive), and how much and how long work waits in the outbox."""

from __future__ import annotations

import socket
import time

from celery import current_app
from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from tenants.jobs.outbox import outbox_oldest_pending_at, outbox_pending_count
from tenants.notifications.mail import mail_interrupted_count

RELAY_HEARTBEAT_KEY = "jobs:relay-heartbeat"
# beat sends the relay every 10 s: a heartbeat older than this means beat or every worker is down.
RELAY_STALE_SECONDS = 120


BEAT_HEARTBEAT_KEY = "jobs:beat-heartbeat:{host}"
# The latest tick of any beat, with its host: what an operator asks from another container.
BEAT_LATEST_KEY = "jobs:beat-heartbeat-latest"


def beat_stale_seconds() -> float:
    """A beat ticks at least every BEAT_LOCK_SECONDS / 3 (portal/beat.py): silent for longer than
    this, it is stuck or gone."""
    return float(getattr(settings, "BEAT_STALE_SECONDS", 120))


def beat_heartbeat_record(host: str | None = None) -> None:
    """Beat, on every tick (holding the lease or standing by): this process is alive and ticking."""
    host = host or socket.gethostname()
    now = time.time()
    cache.set_many({BEAT_HEARTBEAT_KEY.format(host=host): now, BEAT_LATEST_KEY: (now, host)}, timeout=None)


def beat_latest() -> tuple[float | None, str]:
    """(seconds since any beat last ticked, its host), or (None, "") if none ever did."""
    found = cache.get(BEAT_LATEST_KEY)
    if not found:
        return None, ""
    at, host = found
    return max(0.0, time.time() - float(at)), str(host)


def beat_heartbeat_age(host: str | None = None) -> float | None:
    """Seconds since the beat on `host` (by default this one: a probe runs in the beat's container)
    last ticked, or None if it never did."""
    last = cache.get(BEAT_HEARTBEAT_KEY.format(host=host or socket.gethostname()))
    return None if last is None else max(0.0, time.time() - float(last))


def relay_heartbeat_record() -> None:
    cache.set(RELAY_HEARTBEAT_KEY, time.time(), timeout=None)


def relay_heartbeat_age() -> float | None:
    """Seconds since the relay last ran, or None if it never did."""
    last = cache.get(RELAY_HEARTBEAT_KEY)
    return None if last is None else max(0.0, time.time() - float(last))


def workers_answering(timeout: float = 2.0, names: list[str] | None = None) -> list[str]:
    """The names of the workers (all, or those of `names`) that answer a ping within `timeout` seconds."""
    replies = current_app.control.ping(timeout=timeout, destination=names or None) or []
    return sorted(name for reply in replies for name in reply)


def jobs_health(*, ping_timeout: float = 2.0, worker: str | None = None, outbox: bool = True) -> dict:
    """Everything an operator asks first when jobs seem stuck. Probes pass outbox=False: a database
    outage is not a reason to restart a worker or beat, so they do not read it."""
    oldest = outbox_oldest_pending_at() if outbox else None
    age = relay_heartbeat_age()
    beat_age = beat_heartbeat_age()
    latest_age, latest_host = beat_latest()
    return {
        "beat_latest_age_seconds": None if latest_age is None else round(latest_age, 1),
        "beat_latest_host": latest_host,
        "workers": workers_answering(ping_timeout, [worker] if worker else None) if ping_timeout > 0 else [],
        "beat_heartbeat_age_seconds": None if beat_age is None else round(beat_age, 1),
        "beat_stale": beat_age is None or beat_age > beat_stale_seconds(),
        "relay_heartbeat_age_seconds": None if age is None else round(age, 1),
        "relay_stale": age is None or age > RELAY_STALE_SECONDS,
        "outbox_pending": outbox_pending_count() if outbox else None,
        "mail_interrupted": mail_interrupted_count() if outbox else None,
        "outbox_oldest_pending_seconds": None
        if oldest is None
        else round((timezone.now() - oldest).total_seconds(), 1),
    }
