"""Every Redis client the project makes (the portal's, the gateway's, the scripts' and the
benchmarks') is bounded: connecting and each answer have a timeout, so a Redis that takes the
connection and never answers costs the bound, never a hang."""

from __future__ import annotations

import ast
import socket
import time
from pathlib import Path

import pytest
import redis

ROOT = Path(__file__).resolve().parent.parent
SOURCES = (
    "portal",
    "tenants",
    "gateway",
    "deployments",
    "engagements",
    "governance",
    "training",
    "benchmarks",
    "scripts",
)
CLIENTS = ("Redis", "Redis.from_url", "StrictRedis", "ConnectionPool.from_url", "BlockingConnectionPool.from_url")
BOUNDS = {"socket_timeout", "socket_connect_timeout"}


def _unbounded(source: str) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        called = ast.unparse(node.func)
        if not any(called == name or called.endswith("." + name) for name in CLIENTS):
            continue
        named = {keyword.arg for keyword in node.keywords}
        if "connection_pool" in named or BOUNDS <= named:
            continue
        found.append(f"line {node.lineno}: {called}")
    return found


def test_the_check_finds_an_unbounded_client():
    assert _unbounded("import redis\nc = redis.Redis.from_url(url)\n") == ["line 2: redis.Redis.from_url"]
    assert _unbounded("c = aioredis.Redis.from_url(url, socket_timeout=1)\n") == ["line 1: aioredis.Redis.from_url"]
    assert _unbounded("c = Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)\n") == []
    assert _unbounded("c = aioredis.Redis(connection_pool=pool)\n") == []


def test_every_redis_client_of_the_project_is_bounded():
    unbounded = [
        f"{path.relative_to(ROOT)} {where}"
        for folder in SOURCES
        for path in sorted((ROOT / folder).rglob("*.py"))
        for where in _unbounded(path.read_text())
    ]
    assert unbounded == [], "Redis clients without socket_timeout and socket_connect_timeout:\n  " + "\n  ".join(
        unbounded
    )


def test_the_benchmarks_client_gives_up_on_a_silent_redis(monkeypatch):
    """A listener that takes connections and never answers, as a Redis that hangs does."""
    from benchmarks import gateway_bench

    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        monkeypatch.setenv("REDIS_URL", f"redis://127.0.0.1:{silent.getsockname()[1]}/0")
        monkeypatch.setattr(gateway_bench, "REDIS_TIMEOUT", 0.5)
        began = time.monotonic()
        with pytest.raises(redis.TimeoutError):
            gateway_bench.redis_client().ping()
        assert time.monotonic() - began < 5
