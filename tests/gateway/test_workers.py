"""A replica run as several worker processes on its one socket (`python -m gateway --workers N`):
the workers start, each answers on the one port, one that dies is started again, and they stop
with the replica."""

from __future__ import annotations

import socket

import httpx
import psutil

from tests.conftest import wait_for
from tests.gateway import processes


def workers_of(pid: int) -> list[psutil.Process]:
    """The replica's worker processes (forked from it, so with its own command line)."""
    replica = psutil.Process(pid)
    return [p for p in replica.children() if p.cmdline() == replica.cmdline()]


def test_a_replica_of_two_workers_serves_on_its_one_socket_and_stops_whole():
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    process = processes._start(["-m", "gateway", "--workers", "2"], sock, "test-gateway-workers.log")
    sock.close()
    try:
        processes._wait_http(url + "/readyz", process, timeout=60)
        workers = workers_of(process.pid)
        assert len(workers) == 2
        for _ in range(10):  # a new connection each time: any worker may take it
            answer = httpx.get(f"{url}/v1/models", timeout=10)
            assert answer.status_code == 401 and answer.json()["error"]["code"] == "missing_api_key"
        assert all(worker.is_running() for worker in workers)
        # A worker that dies is started again; the replica goes on serving meanwhile.
        workers[0].kill()
        workers[0].wait(5)
        wait_for(
            lambda: len(workers_of(process.pid)) == 2 and workers[0].pid not in {w.pid for w in workers_of(process.pid)}
        )
        assert httpx.get(f"{url}/v1/models", timeout=10).status_code == 401
        workers = workers_of(process.pid)
    finally:
        processes._stop(process)
    assert process.returncode == 0
    assert not any(worker.is_running() and worker.status() != psutil.STATUS_ZOMBIE for worker in workers)
