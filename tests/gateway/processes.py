"""The gateway's processes for the tests: two stand-in upstreams (eu-west's own, and the catch-all
one) on the sockets tests/pytest_env.py bound, and two gateway replicas (`python -m gateway`) on
ports chosen now. Started once a run (the fixtures in tests/conftest.py), whichever test needs them
first."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import redis

from tests import pytest_env

ROOT = Path(__file__).resolve().parents[2]
LOGS = pytest_env.VAR_DIR  # this run's own directory


def _start(args: list[str], sock: socket.socket, log_name: str, **environ: str) -> subprocess.Popen:
    log = open(LOGS / log_name, "w")
    env = {**os.environ, "LOG_LEVEL": "WARNING", **environ}
    return subprocess.Popen(
        [sys.executable, *args, "--fd", str(sock.fileno())],
        cwd=ROOT,
        env=env,
        pass_fds=[sock.fileno()],
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def _wait_http(url: str, process: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url} exited at start (see {LOGS}/*.log)")
        try:
            if httpx.get(url, timeout=1).status_code < 500:
                return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer within {timeout} s")


def _stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@dataclass
class Upstream:
    url: str  # the server, without /v1
    key: str

    def stats(self) -> dict:
        return httpx.get(f"{self.url}/_standin/stats", timeout=5).json()

    def reset(self) -> None:
        httpx.post(f"{self.url}/_standin/reset", timeout=5)


def upstreams_start():
    """The stand-ins: eu-west's own upstream and the catch-all one, each with its key."""
    processes, found = [], {}
    for name, sock in pytest_env.UPSTREAM_SOCKETS.items():
        key = pytest_env.UPSTREAM_KEYS[name]
        process = _start(["-m", "gateway.standin", "--key", key], sock, f"test-standin-{name}.log")
        processes.append(process)
        found[name] = Upstream(f"http://127.0.0.1:{sock.getsockname()[1]}", key)
        _wait_http(found[name].url + "/_standin/stats", process)
    yield found
    for process in processes:
        _stop(process)


def gateway_start(log_name: str, **environ: str) -> tuple[str, subprocess.Popen]:
    """One replica of the gateway on a port chosen now (`environ` changes its settings); its base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(512)
    process = _start(["-m", "gateway"], sock, log_name, **environ)
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    sock.close()  # the replica holds its own copy
    _wait_http(url + "/healthz", process)
    return url, process


def gateway_stop(process: subprocess.Popen) -> None:
    _stop(process)


def gateways_start():
    """Two replicas of the gateway, sharing Redis and nothing else; their base URLs."""
    processes, urls = [], []
    for index in range(2):
        url, process = gateway_start(f"test-gateway-{index}.log")
        urls.append(url)
        processes.append(process)
    yield urls
    for process in processes:
        _stop(process)
    client = redis.Redis.from_url(os.environ["REDIS_URL"])
    for key in client.scan_iter(f"{os.environ['GATEWAY_REDIS_PREFIX']}:*"):
        client.delete(key)


def run_async(factory):
    """Run `factory()` (a coroutine) to its end in a thread of its own: the browser tests keep an
    event loop running in this thread for the whole session, where asyncio.run() is refused."""
    outcome: dict = {}

    def target():
        try:
            outcome["value"] = asyncio.run(factory())
        except BaseException as error:  # handed back to the caller's thread
            outcome["error"] = error

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]
