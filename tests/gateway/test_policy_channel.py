"""Each replica's subscription to the policy channel waits on Redis no longer than its Redis timeout:
a channel that falls silent without a word (a failover, a connection lost behind a proxy) is left
and subscribed again, so that a change the portal announces reaches the replica at once again,
not only at its next re-reading."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import time
from urllib.parse import urlsplit

import redis.asyncio as aioredis

from deployments import published
from gateway.policies import PolicyCache
from tests.gateway.processes import run_async
from tests.gateway.test_redis_outage import RedisDoor

TIMEOUT = 0.5


class FailoverDoor(RedisDoor):
    """`strand` leaves the connections made so far open and silent for ever, and relays new ones."""

    def __init__(self, host: str, port: int):
        super().__init__(host, port)
        self.stranded: set[socket.socket] = set()

    def strand(self) -> None:
        with self.lock:
            self.stranded.update(self.sockets)

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                if self.mode == "open" and not {source, sink} & self.stranded:
                    sink.sendall(data)
        for end in (source, sink):
            with contextlib.suppress(OSError):
                end.shutdown(socket.SHUT_RDWR)


def test_a_channel_fallen_silent_is_subscribed_again_within_the_timeout():
    real = urlsplit(os.environ["REDIS_URL"])
    door = FailoverDoor(real.hostname or "127.0.0.1", real.port or 6379)
    door.open()
    keys = published.Keys(f"{os.environ['GATEWAY_REDIS_PREFIX']}-channel")
    through_door = real._replace(netloc=f"127.0.0.1:{door.port}").geturl()

    async def scenario() -> float:
        client = aioredis.Redis.from_url(through_door, socket_timeout=TIMEOUT, socket_connect_timeout=TIMEOUT)
        publisher = aioredis.Redis.from_url(os.environ["REDIS_URL"], socket_timeout=5, socket_connect_timeout=5)
        cache = PolicyCache(client, keys, b"k" * 32, 0.25, TIMEOUT)
        cache.environments[7] = None  # held: a change of environment 7 is read again at once
        heard: list = []

        async def refresh(environment_ids=None):
            heard.append(environment_ids)

        cache.refresh = refresh
        listening = asyncio.create_task(cache.listen())

        async def announced(within: float) -> float:
            heard.clear()
            began = time.monotonic()
            while not heard:
                assert time.monotonic() - began < within, "the change never reached the replica"
                await publisher.publish(keys.channel, 7)
                await asyncio.sleep(0.1)
            return time.monotonic() - began

        try:
            await announced(10)
            door.strand()  # the subscription's connection now says nothing, ever
            return await announced(15)
        finally:
            listening.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await listening
            await client.aclose()
            await publisher.aclose()

    try:
        again = run_async(scenario)
    finally:
        door.shut()
    # Quiet for one timeout, the PING's answer awaited for one more, then a new subscription.
    assert again < 4 * TIMEOUT + 1.5, again
