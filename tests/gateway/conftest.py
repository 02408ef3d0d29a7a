"""The gateway's tests run real processes: two stand-in upstreams (eu-west's own, and the catch-all
one) on the sockets tests/pytest_env.py bound, two gateway replicas (`python -m gateway`) on ports
chosen now, the suite's Celery worker publishing policies, and Redis under the run's own prefix."""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass
from datetime import date, timedelta

import httpx
import redis

from deployments import environments, published, services
from deployments.models import Environment, ProvisioningJob
from tenants.isolation import country_context
from tests.conftest import wait_for
from tests.deployments.conftest import act, draft, ready  # noqa: F401  (ready: a fixture)

logging.getLogger("httpx").setLevel(logging.WARNING)


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


def lose_in_redis(lose, lost, *, timeout: float = 10) -> None:
    """Make Redis lose what `lose` deletes or rewrites, again until `lost()` still holds half a second
    later: a publish of the environments' creation may still be under way, and it writes the
    environment back as it is now."""

    def stays_lost() -> bool:
        lose()
        time.sleep(0.5)
        return lost()

    wait_for(stays_lost, timeout=timeout)


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
