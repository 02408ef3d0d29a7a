"""Callers that send a head and never finish their body, against a real gateway replica (`python -m
gateway`, its body deadline set to 1 s and its connections to 25): without a key they are answered
401 with `connection: close` and the process holds their connections no longer than the deadline;
with a key, the body's wait ends in 408 and nothing of the call is left reserved; a body sent slowly
within the deadline is served; connections beyond the limit are answered 503 and closed."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import time

import pytest

from tests.gateway import processes
from tests.gateway.conftest import chat, keys, make_live, redis_client

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]
DEADLINE = 1.0  # the replica's GATEWAY_BODY_TIMEOUT
LIMIT = 25  # its GATEWAY_CLIENT_CONNECTIONS
BOUND = DEADLINE + 2.0  # and this machine's slowness besides
HEAD = "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\n{}\r\n"


@pytest.fixture
def strict_replica(celery_worker_process, gateways, upstreams):
    url, process = processes.gateway_start(
        "test-gateway-strict.log", GATEWAY_BODY_TIMEOUT=str(DEADLINE), GATEWAY_CLIENT_CONNECTIONS=str(LIMIT)
    )
    yield url.rsplit(":", 1)[1], process
    processes.gateway_stop(process)


def connect(port: str) -> socket.socket:
    return socket.create_connection(("127.0.0.1", int(port)), timeout=10)


def answer_of(sock: socket.socket) -> tuple[int, dict, bytes]:
    """The answer's status, headers (lower-case names) and body (by its Content-Length)."""
    data = b""
    while b"\r\n\r\n" not in data:
        piece = sock.recv(65536)
        assert piece, f"the connection ended without an answer: {data!r}"
        data += piece
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {name.strip().lower(): value.strip() for name, _, value in (line.partition(":") for line in lines[1:])}
    while len(body) < int(headers.get("content-length", 0)):
        body += sock.recv(65536)
    return int(lines[0].split(" ")[1]), headers, body


def ended(sock: socket.socket) -> bool:
    """Whether the gateway ended the connection (the caller reads its end) within the bound."""
    sock.settimeout(BOUND)
    try:
        return sock.recv(65536) == b""
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False


def open_files(process) -> int:
    return len(os.listdir(f"/proc/{process.pid}/fd"))


def held_until(process, most: int) -> float:
    """Seconds until the process holds at most `most` files (or the bound, and more)."""
    started = time.monotonic()
    while open_files(process) > most and time.monotonic() - started < BOUND + 2:
        time.sleep(0.05)
    return time.monotonic() - started


def test_calls_without_a_key_whose_body_never_comes_are_answered_and_their_connections_closed(strict_replica):
    port, process = strict_replica
    before = open_files(process)
    stalled = []
    for _ in range(20):
        sock = connect(port)
        sock.sendall(HEAD.format(100_000, "").encode())  # and nothing more
        stalled.append(sock)
    answers = [answer_of(sock) for sock in stalled]
    assert {(status, headers.get("connection")) for status, headers, _ in answers} == {(401, "close")}
    assert all(ended(sock) for sock in stalled)
    waited = held_until(process, before + 2)  # the process's own ends closed, not only the callers'
    assert open_files(process) <= before + 2, (before, open_files(process))
    assert waited < BOUND
    for sock in stalled:
        sock.close()


def test_a_call_whose_body_stalls_is_refused_408_and_leaves_nothing_reserved_while_a_slow_one_is_served(
    strict_replica, cast, ready
):
    port, process = strict_replica
    live = make_live(cast, ready)
    environment = live.environment.pk
    body = json.dumps({"model": "aurora-large", "messages": [{"role": "user", "content": "Hello there"}]}).encode()
    auth = f"Authorization: Bearer {live.secret}\r\n"

    sock = connect(port)
    started = time.monotonic()
    sock.sendall(HEAD.format(len(body), auth).encode() + body[:10])  # and the rest never
    status, headers, answered = answer_of(sock)
    waited = time.monotonic() - started
    error = json.loads(answered)["error"]
    assert (status, error["code"], headers["connection"]) == (408, "request_timeout", "close")
    assert f"{DEADLINE:g} seconds" in error["message"]
    assert DEADLINE - 0.1 < waited < BOUND and ended(sock)
    sock.close()
    client = redis_client()
    assert client.hlen(keys().inflight(environment)) == 0 and client.hlen(keys().inflight_amounts(environment)) == 0

    # The same body in pieces over half the deadline: served, and the connection kept for the next.
    sock = connect(port)
    sock.sendall(HEAD.format(len(body), auth).encode())
    for start in range(0, len(body), 10):
        time.sleep(0.5 / (len(body) / 10))
        sock.sendall(body[start : start + 10])
    status, headers, answered = answer_of(sock)
    assert status == 200 and "connection" not in headers, answered
    sock.sendall(HEAD.format(len(body), auth).encode() + body)
    assert answer_of(sock)[0] == 200
    sock.close()
    assert client.hlen(keys().inflight(environment)) == 0  # each call settled
    assert chat(f"http://127.0.0.1:{port}", live.secret).status_code == 200


def test_connections_beyond_the_limit_are_answered_503_and_closed(strict_replica):
    port, process = strict_replica
    held = []
    with contextlib.ExitStack() as stack:
        for _ in range(LIMIT):
            sock = stack.enter_context(connect(port))
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            assert answer_of(sock)[0] == 200  # accepted, and kept alive
            held.append(sock)
        over = stack.enter_context(connect(port))
        over.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        status, headers, answered = answer_of(over)
        assert (status, json.loads(answered)["error"]["code"]) == (503, "gateway_busy")
        assert headers["retry-after"] == "1" and headers["connection"] == "close" and ended(over)
        held[0].sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        assert answer_of(held[0])[0] == 200  # those held are served still
        held.pop().close()
        time.sleep(0.2)
        again = stack.enter_context(connect(port))  # a place is free again
        again.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        assert answer_of(again)[0] == 200
