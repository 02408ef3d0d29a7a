"""A replica run as several worker processes on its one socket (`python -m gateway --workers N`):
the workers start, each answers on the one port, and they stop with the replica."""

from __future__ import annotations

import socket

import httpx
import psutil

from tests.gateway import processes


def workers_of(pid: int) -> list[psutil.Process]:
    return [p for p in psutil.Process(pid).children() if "spawn_main" in " ".join(p.cmdline())]


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
    finally:
        processes._stop(process)
    assert not any(worker.is_running() and worker.status() != psutil.STATUS_ZOMBIE for worker in workers)
