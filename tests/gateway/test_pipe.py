"""The gateway's connection to Redis for its counters' scripts (gateway/pipe.py), against the real
Redis: calls made together are written together and answered in order, answers of every shape
read however the reads cut them, a script Redis does not have sent whole, errors kept to their
call, the database of the URL, a lost connection failing only the calls in flight, and Redis
unreachable or silent (taking connections and answering nothing): no call waits longer than the
pipe's timeout."""

from __future__ import annotations

import asyncio
import os
import secrets
import time
from urllib.parse import urlsplit

import pytest
import redis

from gateway import pipe
from gateway.pipe import KeyBlock, RedisPipe, ReplyError, Script
from tests.gateway.processes import run_async
from tests.gateway.test_redis_outage import RedisDoor

ECHO = Script("return {ARGV[1], tonumber(ARGV[2]), {1, 'two'}, false}")
FAIL = Script("return redis.error_reply('refused: ' .. ARGV[1])")
WRITE = Script("redis.call('SET', KEYS[1], ARGV[1], 'EX', 60) return redis.call('GET', KEYS[1])")


def test_calls_made_together_go_in_one_write_and_are_answered_in_order(monkeypatch):
    writes = []

    async def scenario():
        connection_pipe = RedisPipe(os.environ["REDIS_URL"], [ECHO, FAIL])
        await connection_pipe.call(ECHO, [], ["warm", 0])  # connected, scripts loaded
        transport = connection_pipe.connection.transport
        write = transport.write
        monkeypatch.setattr(transport, "write", lambda data: (writes.append(data), write(data)))
        futures = [connection_pipe.call(ECHO, [], [f"call-{i}", i]) for i in range(300)]
        futures.insert(150, connection_pipe.call(FAIL, [], ["the one"]))
        answers = await asyncio.gather(*futures, return_exceptions=True)
        connection_pipe.close()
        return answers

    answers = run_async(scenario)
    assert len(writes) == 1  # 301 calls, one write
    failed = answers.pop(150)
    assert isinstance(failed, ReplyError) and "refused: the one" in str(failed)
    assert answers == [[f"call-{i}".encode(), i, [1, b"two"], None] for i in range(300)]


def test_answers_are_read_whatever_the_reads_cut():
    replies = b"+OK\r\n:42\r\n$5\r\nhello\r\n$-1\r\n*3\r\n$2\r\nok\r\n:-7\r\n*1\r\n$0\r\n\r\n-ERR no\r\n*0\r\n"
    expected = [b"OK", 42, b"hello", None, [b"ok", -7, [b""]], ReplyError, []]

    async def scenario():
        found = []
        for cut in (1, 2, 3, 7, len(replies)):
            connection = pipe._Connection(RedisPipe("redis://127.0.0.1:6379/0", []))
            loop = asyncio.get_running_loop()
            futures = [loop.create_future() for _ in expected]
            connection.waiting.extend((future, 0.0, None) for future in futures)
            for at in range(0, len(replies), cut):
                connection.data_received(replies[at : at + cut])
            found.append([f.exception().__class__ if f.exception() else f.result() for f in futures])
        return found

    assert all(answers == expected for answers in run_async(scenario))


def test_a_script_redis_does_not_have_is_sent_whole_and_the_urls_database_is_used():
    key = f"portal-test-pipe-{secrets.token_hex(4)}"
    url = urlsplit(os.environ["REDIS_URL"])._replace(path="/5").geturl()
    fresh = Script(f"return '{secrets.token_hex(8)}' .. ARGV[1]")  # never loaded: NOSCRIPT, then EVAL

    async def scenario():
        connection_pipe = RedisPipe(url, [WRITE])  # `fresh` is not among its scripts
        answers = await asyncio.gather(
            connection_pipe.call(fresh, [], ["!"]), connection_pipe.call(WRITE, KeyBlock([key]), ["in db 5"])
        )
        connection_pipe.close()
        return answers

    unknown, written = run_async(scenario)
    assert unknown.endswith(b"!") and written == b"in db 5"
    in_five = redis.Redis.from_url(url)
    assert in_five.get(key) == b"in db 5"
    in_five.delete(key)


def test_a_lost_connection_fails_the_calls_in_flight_and_the_next_call_connects_again():
    async def scenario():
        connection_pipe = RedisPipe(os.environ["REDIS_URL"], [ECHO])
        await connection_pipe.call(ECHO, [], ["warm", 0])
        # A call Redis holds for a while (a blocking pop on a list nobody fills), written, then lost.
        in_flight = asyncio.get_running_loop().create_future()
        connection_pipe._send(pipe._command("BLPOP", f"portal-test-pipe-{secrets.token_hex(4)}", 2), in_flight)
        await asyncio.sleep(0.1)
        assert connection_pipe.connection.waiting  # written, not answered
        connection_pipe.connection.transport.close()
        lost = await asyncio.gather(in_flight, return_exceptions=True)
        again = await connection_pipe.call(ECHO, [], ["again", 2])
        connection_pipe.close()
        return lost[0], again

    lost, again = run_async(scenario)
    assert isinstance(lost, ConnectionError)
    assert again[0] == b"again"


def test_redis_unreachable_fails_the_call_with_a_connection_error():
    async def scenario():
        probe = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
        port = probe.sockets[0].getsockname()[1]
        probe.close()
        await probe.wait_closed()
        connection_pipe = RedisPipe(f"redis://127.0.0.1:{port}/0", [ECHO])
        with pytest.raises(ConnectionError):
            await connection_pipe.call(ECHO, [], ["nobody", 0])
        return True

    assert run_async(scenario)


def test_a_silent_redis_fails_the_calls_within_the_pipes_timeout():
    """Redis falls silent with calls under way on a connection made, then a new connection is taken
    and never answered: each time the calls fail within the timeout (1 s), not after many seconds."""
    real = urlsplit(os.environ["REDIS_URL"])
    door = RedisDoor(real.hostname or "127.0.0.1", real.port or 6379)
    door.open()

    async def scenario():
        connection_pipe = RedisPipe(f"redis://127.0.0.1:{door.port}/0", [ECHO])
        await connection_pipe.call(ECHO, [], ["warm", 0])  # connected through the door, scripts loaded
        door.silence()
        waited = []
        for _ in range(2):  # on the connection made, then on a new one that is never ready
            started = time.monotonic()
            with pytest.raises(ConnectionError):
                await connection_pipe.call(ECHO, [], ["unanswered", 1])
            waited.append(time.monotonic() - started)
        door.open()
        again = await connection_pipe.call(ECHO, [], ["again", 2])
        connection_pipe.close()
        return waited, again

    try:
        waited, again = run_async(scenario)
    finally:
        door.shut()
    assert all(0.9 < seconds < 2.0 for seconds in waited), waited
    assert again[0] == b"again"
