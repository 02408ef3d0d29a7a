"""Beat's lease in Redis (portal/beat.py) is asked with the portal's Redis timeouts: a Redis that
takes the connection and never answers costs a tick `REDIS_TIMEOUT` seconds and no lease (so this
beat sends nothing), never a tick held for as long as the socket stays open; Redis answering gives
the lease again."""

from __future__ import annotations

import os
import secrets
import socket
import threading
import time

import pytest
import redis

from portal.beat import SingleBeatScheduler
from portal.celery import app

pytestmark = pytest.mark.django_db


@pytest.fixture
def silent_redis():
    """A port that takes connections and answers nothing (a Redis host gone without a word)."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    taken: list[socket.socket] = []

    def accept():
        while True:
            try:
                taken.append(listener.accept()[0])
            except OSError:
                return

    threading.Thread(target=accept, daemon=True).start()
    yield f"redis://127.0.0.1:{listener.getsockname()[1]}/0"
    listener.close()
    for connection in taken:
        connection.close()


def test_a_silent_redis_costs_beat_its_timeout_and_the_lease(settings, silent_redis):
    settings.REDIS_URL, settings.REDIS_CONNECT_TIMEOUT, settings.REDIS_TIMEOUT = silent_redis, 1, 1
    settings.BEAT_LOCK_KEY = f"portal-test-beat-lock-{secrets.token_hex(4)}"
    beat = SingleBeatScheduler(app=app, lazy=True)
    started = time.monotonic()
    assert beat._hold() is False
    assert time.monotonic() - started < 2.5


def test_with_redis_answering_beat_holds_the_lease(settings):
    settings.REDIS_URL = os.environ["REDIS_URL"]
    settings.BEAT_LOCK_KEY = key = f"portal-test-beat-lock-{secrets.token_hex(4)}"
    beat = SingleBeatScheduler(app=app, lazy=True)
    try:
        assert beat._hold() is True
        assert redis.Redis.from_url(os.environ["REDIS_URL"]).get(key) == beat.token.encode()
    finally:
        redis.Redis.from_url(os.environ["REDIS_URL"]).delete(key)
