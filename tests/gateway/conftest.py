"""The gateway's tests run real processes: two stand-in upstreams (eu-west's own, and the catch-all
one) on the sockets tests/pytest_env.py bound, two gateway replicas (uvicorn) on ports chosen now,
the suite's Celery worker publishing policies, and Redis under the run's own prefix."""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import httpx
import pytest
import redis

from deployments import environments, published, services
from deployments.models import Environment, ProvisioningJob
from tenants.isolation import country_context
from tests import pytest_env
from tests.conftest import wait_for
from tests.deployments.conftest import act, draft, ready  # noqa: F401  (ready: a fixture)

ROOT = Path(__file__).resolve().parents[2]
LOGS = ROOT / "var"
logging.getLogger("httpx").setLevel(logging.WARNING)


def _start(args: list[str], sock: socket.socket, log_name: str) -> subprocess.Popen:
    LOGS.mkdir(exist_ok=True)
    log = open(LOGS / log_name, "w")
    env = {**os.environ, "LOG_LEVEL": "WARNING"}
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
            raise RuntimeError(f"{url} exited at start (see var/*.log)")
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


@pytest.fixture(scope="session")
def upstreams():
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


@pytest.fixture(scope="session")
def gateways(upstreams):
    """Two replicas of the gateway, sharing Redis and nothing else; their base URLs."""
    processes, urls = [], []
    for index in range(2):
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        sock.listen(512)
        process = _start(["-m", "gateway"], sock, f"test-gateway-{index}.log")
        urls.append(f"http://127.0.0.1:{sock.getsockname()[1]}")
        sock.close()  # the replica holds its own copy
        processes.append(process)
        _wait_http(urls[-1] + "/healthz", process)
    yield urls
    for process in processes:
        _stop(process)
    client = redis.Redis.from_url(os.environ["REDIS_URL"])
    for key in client.scan_iter(f"{os.environ['GATEWAY_REDIS_PREFIX']}:*"):
        client.delete(key)


# --- An environment live behind the gateway -------------------------------------------------------


@dataclass
class Live:
    environment: Environment
    secret: str
    cast: object

    def refresh(self) -> Environment:
        with country_context(self.cast.fr):
            self.environment = Environment.objects.select_related("request").get(pk=self.environment.pk)
        return self.environment


def redis_client() -> redis.Redis:
    return redis.Redis.from_url(os.environ["REDIS_URL"])


def keys() -> published.Keys:
    return published.Keys(os.environ["GATEWAY_REDIS_PREFIX"])


def published_version(environment_id: int) -> int:
    parsed = published.policy_parse(redis_client().get(keys().policy(environment_id)))
    return parsed[0] if parsed else -1


def wait_published(live: Live, timeout: float = 30) -> None:
    """Until the worker has published the environment's current policy version."""
    version = live.refresh().policy_version
    wait_for(lambda: published_version(live.environment.pk) >= version, timeout=timeout)


def make_live(cast, prepared, *, approval: dict | None = None, **change) -> Live:
    """An active environment of FR, provisioned by the suite's worker, its credential revealed to
    the officer who asked for it, and its policy published."""
    item = draft(cast, prepared, **change)
    item = services.deployment_request_transition(request=item, action="submit", **act(cast.member))
    services.deployment_request_transition(request=item, action="approve", **act(cast.partner), **(approval or {}))

    def provisioned():
        with country_context(cast.fr):
            job = ProvisioningJob.objects.filter(request=item).first()
        return job is not None and job.state == "done"

    wait_for(provisioned, timeout=60)
    with country_context(cast.fr):
        environment = Environment.objects.select_related("request").get(request=item)
    _, secret = environments.credential_reveal(environment=environment, user=cast.member)
    live = Live(environment, secret, cast)
    wait_published(live)
    return live


def chat(base: str, secret: str | None, *, content: str = "Hello there", headers: dict | None = None, **body):
    payload = {"model": "aurora-large", "messages": [{"role": "user", "content": content}], **body}
    sent = {"Authorization": f"Bearer {secret}"} if secret else {}
    return httpx.post(f"{base}/v1/chat/completions", json=payload, headers={**sent, **(headers or {})}, timeout=30)


def error_code(response: httpx.Response) -> str:
    return response.json()["error"]["code"]


def tomorrow() -> date:
    return date.today() + timedelta(days=1)
