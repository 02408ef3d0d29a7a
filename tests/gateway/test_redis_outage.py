"""The gateway while Redis, which holds the policies and the counters, cannot be reached: a call is
never served unchecked (fail closed) and is answered within the replica's Redis timeout (1 s) with
an OpenAI-style 503 that says to retry, with Retry-After, whether Redis refuses connections or takes
them and never answers, and whether the replica holds the call's policy or not; /v1/models too,
and a stream under way stops, since a stop published meanwhile could not reach the replica. Once
Redis is back, the replica serves again by itself. The replica reaches Redis through a small TCP
door of this test, which it opens, shuts and silences (the machine's Redis is never stopped)."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import threading
import time
from urllib.parse import urlsplit

import httpx
import pytest

from tests.gateway import processes
from tests.gateway.conftest import chat, error_code, make_live
from tests.gateway.test_streams import open_stream

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


class RedisDoor:
    """A TCP relay to Redis on a port of its own: `open` relays, `shut` refuses connections (and
    cuts those made), `silence` keeps the connections made and accepts new ones, and answers none
    (a host gone without a word, a failover)."""

    def __init__(self, host: str, port: int):
        self.target = (host, port)
        self.port = 0
        self.mode = "shut"
        self.listener: socket.socket | None = None
        self.sockets: list[socket.socket] = []
        self.lock = threading.Lock()

    def open(self) -> None:
        self._cut()
        self.mode = "open"
        self._listen()

    def silence(self) -> None:
        self.mode = "silent"
        self._listen()

    def shut(self) -> None:
        self.mode = "shut"
        if self.listener is not None:
            self.listener.close()
            self.listener = None
        self._cut()

    def _listen(self) -> None:
        if self.listener is not None:
            return
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        listener.settimeout(0.1)
        self.port = listener.getsockname()[1]
        self.listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def _accept(self, listener: socket.socket) -> None:
        while self.listener is listener:
            try:
                client, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with self.lock:
                self.sockets.append(client)
            if self.mode != "open":
                continue  # silent: taken, never answered
            upstream = socket.create_connection(self.target)
            with self.lock:
                self.sockets.append(upstream)
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                if self.mode == "open":
                    sink.sendall(data)
        for end in (source, sink):
            with contextlib.suppress(OSError):
                end.shutdown(socket.SHUT_RDWR)

    def _cut(self) -> None:
        with self.lock:
            cut, self.sockets = self.sockets, []
        for end in cut:
            with contextlib.suppress(OSError):
                end.shutdown(socket.SHUT_RDWR)
            end.close()


@pytest.fixture
def door_replica(celery_worker_process, gateways, upstreams):
    """A replica of the gateway whose Redis is behind the door (the suite's own Redis and prefix)."""
    real = urlsplit(os.environ["REDIS_URL"])
    door = RedisDoor(real.hostname or "127.0.0.1", real.port or 6379)
    door.open()
    url, process = processes.gateway_start(
        "test-gateway-door.log", REDIS_URL=real._replace(netloc=f"127.0.0.1:{door.port}").geturl()
    )
    yield url, door
    door.open()  # the replica stops as it would with Redis there
    processes.gateway_stop(process)
    door.shut()


BOUND = 2.5  # seconds: the replica's Redis timeout (1 s), and this machine's slowness besides


def refused_for_now(response, started: float, bound: float = BOUND) -> None:
    assert time.monotonic() - started < bound, "the call waited for a Redis that does not answer"
    assert response.status_code == 503, response.text
    assert error_code(response) == "policy_check_unavailable"
    assert "retry" in response.json()["error"]["message"]
    assert response.headers["Retry-After"] == "2"


def test_a_call_the_gateway_cannot_check_is_refused_for_now_and_served_again_when_redis_is_back(
    door_replica, upstreams, cast, ready
):
    base, door = door_replica
    live, other = make_live(cast, ready), make_live(cast, ready, title="Second helper")
    assert chat(base, live.secret).status_code == 200  # its policy and its counters, through the door
    relayed = len(upstreams["eu-west"].stats()["recent"])

    door.silence()  # the connections made and new ones taken, none answered
    started = time.monotonic()
    refused_for_now(chat(base, other.secret), started)  # a policy the replica must read
    door.shut()  # connections cut and refused
    for secret in (other.secret, live.secret):  # a policy it must read, and one it holds
        started = time.monotonic()
        refused_for_now(chat(base, secret), started)
    assert len(upstreams["eu-west"].stats()["recent"]) == relayed  # nothing unchecked went upstream

    door.open()
    deadline = time.monotonic() + 15
    while True:
        served = [chat(base, secret).status_code for secret in (live.secret, other.secret)]
        if served == [200, 200]:
            break
        assert time.monotonic() < deadline, f"the replica did not serve again once Redis was back: {served}"
        time.sleep(0.2)


def test_a_silent_redis_refuses_a_call_whose_policy_the_replica_holds_within_its_timeout_and_models_too(
    door_replica, upstreams, cast, ready
):
    """The replica holds the policy, so only the admission asks Redis: it waits no longer than the
    Redis timeout. Once the replica's re-reading of its policies has failed, it asks Redis nothing
    and refuses at once, /v1/models included (a credential revoked meanwhile must not be told its
    models)."""
    base, door = door_replica
    live = make_live(cast, ready)
    auth = {"Authorization": f"Bearer {live.secret}"}
    assert chat(base, live.secret).status_code == 200
    assert httpx.get(f"{base}/v1/models", headers=auth, timeout=30).status_code == 200
    relayed = len(upstreams["eu-west"].stats()["recent"])

    door.silence()
    started = time.monotonic()
    refused_for_now(chat(base, live.secret), started)
    time.sleep(1.5)  # the replica's re-reading has failed by now
    for _ in range(3):
        started = time.monotonic()
        refused_for_now(httpx.get(f"{base}/v1/models", headers=auth, timeout=30), started, bound=0.5)
        started = time.monotonic()
        refused_for_now(chat(base, live.secret), started, bound=0.5)  # at once: nothing waits on Redis
    assert httpx.get(f"{base}/v1/models", timeout=30).status_code == 401  # no key: said without Redis
    assert len(upstreams["eu-west"].stats()["recent"]) == relayed

    door.open()
    deadline = time.monotonic() + 15
    while httpx.get(f"{base}/v1/models", headers=auth, timeout=30).status_code != 200:
        assert time.monotonic() < deadline, "/v1/models did not answer again once Redis was back"
        time.sleep(0.2)
    assert chat(base, live.secret).status_code == 200


def test_a_stream_under_way_stops_when_redis_falls_silent(door_replica, upstreams, cast, ready):
    """A stop published while the replica cannot read Redis would not reach it: so once its policies
    are not confirmed for a second, its streams end, with the error that says to retry."""
    base, door = door_replica
    live = make_live(cast, ready)
    got = []
    with open_stream(base, live.secret, "Long answer [[words:100]] [[delay:0.1]]") as response:
        lines = response.iter_lines()
        for line in lines:
            if line.startswith("data: "):
                got.append(line)
            if len(got) == 3:
                break
        door.silence()
        silenced = time.monotonic()
        for line in lines:
            if line.startswith("data: "):
                got.append(line)
        ended = time.monotonic() - silenced
    last = json.loads(got[-1][6:])
    assert last["error"]["code"] == "policy_check_unavailable", got[-3:]
    assert ended < 3.0, ended
    assert len(got) < 60
