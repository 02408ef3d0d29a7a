"""Exactly one beat, however many are started: django-celery-beat's scheduler behind a lock in Redis.

Two beats on the database scheduler would both send every due task (a nightly verification twice,
reminders twice). Each beat started with this scheduler asks, before each tick, for a lease in Redis
(`BEAT_LOCK_KEY`, `SET … NX PX`, renewed by its holder on each tick and lasting `BEAT_LOCK_SECONDS`).
Only the holder sends tasks; the others wait and ask again, so a second beat (a rolling deploy, a
replica too many) is a stand-by that takes over within the lease once the holder stops.

Every tick, holder or stand-by, writes this host's beat heartbeat (tenants.jobs.health): the
liveness probe `manage.py jobs_health --beat` fails once it is older than BEAT_STALE_SECONDS."""

from __future__ import annotations

import datetime
import logging
import secrets
import socket

import redis
from django.conf import settings
from django_celery_beat.schedulers import DatabaseScheduler

log = logging.getLogger(__name__)

# Renew the lease if this beat holds it; take it if nobody does. 1: held by this beat.
_HOLD = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  return 1
end
return 0
"""
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""


class SingleBeatScheduler(DatabaseScheduler):
    """DatabaseScheduler that sends nothing unless this beat holds the lease."""

    def __init__(self, *args, **kwargs):
        self.lock_key = getattr(settings, "BEAT_LOCK_KEY", "portal:beat-lock")
        self.lock_ms = int(float(getattr(settings, "BEAT_LOCK_SECONDS", 30)) * 1000)
        self.token = f"{socket.gethostname()}:{secrets.token_hex(8)}"
        self.holding = False
        # Bounded: a Redis that takes the connection and never answers must not hold the tick (and the
        # heartbeat its probe reads) for ever; a lease not confirmed in time is a lease not held.
        self.client = redis.Redis.from_url(
            settings.REDIS_URL,
            socket_connect_timeout=settings.REDIS_CONNECT_TIMEOUT,
            socket_timeout=settings.REDIS_TIMEOUT,
        )
        super().__init__(*args, **kwargs)

    def _hold(self) -> bool:
        try:
            held = bool(self.client.eval(_HOLD, 1, self.lock_key, self.token, self.lock_ms))
        except redis.RedisError:
            held = False  # no Redis, no certainty that nobody else sends: send nothing
        if held != self.holding:
            log.info("Beat %s the lease %s", "took" if held else "lost", self.lock_key)
            if held and not self._initial_read:
                # Another beat may have run the tasks meanwhile: read the schedule (and when each
                # task last ran) again from the database before sending anything.
                self._last_full_sync = datetime.datetime.min
        self.holding = held
        return held

    def tick(self, *args, **kwargs):
        renew_every = self.lock_ms / 3000
        try:  # liveness: this beat ticks (its probe, `jobs_health --beat`, reads the age)
            from tenants.jobs.health import beat_heartbeat_record

            beat_heartbeat_record()
        except Exception as error:  # no Redis: the probe sees the heartbeat age and says so
            log.warning("Beat heartbeat not written (%s)", type(error).__name__)
        if not self._hold():
            return renew_every
        return min(super().tick(*args, **kwargs), renew_every)

    def close(self):
        try:
            self.client.eval(_RELEASE, 1, self.lock_key, self.token)
        except redis.RedisError:
            pass
        super().close()
