"""GATEWAY_POLICY_KEY's rotation, as the certificate key's and the metrics token's: the keys it
replaced are given as GATEWAY_POLICY_KEY_FALLBACKS (or the file GATEWAY_POLICY_KEY_FALLBACKS_FILE
names, one a line), so that while the workers publish every policy again under the new key a replica
still opens the upstream keys of the policies published under the old one, and serves their calls."""

from __future__ import annotations

import base64
import os

import pytest
import redis.asyncio as aioredis

from deployments import published
from gateway.config import config_from_env
from gateway.policies import PolicyCache
from tests.gateway.processes import run_async


def _b64(key: bytes) -> str:
    return base64.b64encode(key).decode()


def _published_under(key: bytes, environment_id: int, version: int) -> bytes:
    """A policy as a worker writes it to Redis, its upstream key sealed under `key`."""
    policy = published.Policy(
        country=1,
        environment=environment_id,
        state="active",
        model="aurora-large",
        capabilities=["text"],
        region="eu-west",
        classification="internal",
        quota=1000,
        requests_per_minute=0,
        expires_at=None,
        human_review=False,
        capture=False,
        upstream_url="http://127.0.0.1:1/v1",
        upstream_key=published.seal_for_gateway(key, "upstream-secret", environment_id=environment_id, version=version),
    )
    return f"{version}|{published.policy_json(policy.as_dict())}".encode()


def test_a_replica_opens_policies_sealed_under_the_key_its_key_replaced(tmp_path):
    old, new, other = os.urandom(32), os.urandom(32), os.urandom(32)
    retired = tmp_path / "gateway_policy_key_fallbacks"
    retired.write_text(f"{_b64(other)}\n{_b64(old)}\n")
    environ = {
        "PORTAL_TESTING": "1",
        "GATEWAY_POLICY_KEY": _b64(new),
        "GATEWAY_POLICY_KEY_FALLBACKS_FILE": str(retired),
    }
    config = config_from_env(environ)
    assert config.key == new and config.key_fallbacks == (other, old)

    names = published.Keys(f"{os.environ['GATEWAY_REDIS_PREFIX']}-rotation")

    async def read(fallbacks: tuple) -> list:
        """The policies of environments 5 (sealed under the old key) and 6 (the new), as a replica reads them."""
        client = aioredis.Redis.from_url(os.environ["REDIS_URL"], socket_timeout=5, socket_connect_timeout=5)
        try:
            await client.set(names.policy(5), _published_under(old, 5, 3))
            await client.set(names.policy(6), _published_under(new, 6, 3))
            cache = PolicyCache(client, names, config.key, 0.25, 1.0)
            cache.key_fallbacks = fallbacks
            return [await cache.environment(5), await cache.environment(6)]
        finally:
            await client.delete(names.policy(5), names.policy(6))
            await client.aclose()

    during = run_async(lambda: read(config.key_fallbacks))
    assert [loaded.upstream_key for loaded in during] == ["upstream-secret", "upstream-secret"]
    # Without the retired key, what was sealed under it does not open: its calls are refused.
    without = run_async(lambda: read(()))
    assert without[0].upstream_key is None and without[0].policy.upstream_refusal
    assert without[1].upstream_key == "upstream-secret"


def test_a_retired_key_that_is_not_one_stops_the_replica_with_its_name():
    environ = {
        "PORTAL_TESTING": "1",
        "GATEWAY_POLICY_KEY": _b64(os.urandom(32)),
        "GATEWAY_POLICY_KEY_FALLBACKS": f"{_b64(os.urandom(32))},not-a-key",
    }
    with pytest.raises(SystemExit, match="GATEWAY_POLICY_KEY_FALLBACKS: key 2 is not base64 of 32 random bytes"):
        config_from_env(environ)
