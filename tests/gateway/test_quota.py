"""Rate limit and monthly quota, exact under concurrency and across the two gateway replicas (they
share their counters in Redis and nothing else): the quota is never overrun by more than one
call's worth, however many callers race for its end; a replica that dies mid-call frees its
reservation when the lease ends."""

from __future__ import annotations

import asyncio
import os
import random
import secrets

import httpx
import pytest
import redis.asyncio as aioredis

from deployments import published
from gateway.counters import Counters, Usage
from tests.gateway.conftest import keys, make_live, redis_client
from tests.gateway.processes import run_async
from tests.gateway.test_rules import reconfigure

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]
PER_CALL = 4 + 10  # the stand-in counts the prompt's four words (markers included) and answers ten


@pytest.fixture
def stack(celery_worker_process, gateways, upstreams):
    for upstream in upstreams.values():
        upstream.reset()
    return gateways


async def _call(client: httpx.AsyncClient, base: str, secret: str, stream: bool) -> httpx.Response:
    payload = {
        "model": "aurora-large",
        "stream": stream,
        "max_completion_tokens": 10,
        "messages": [{"role": "user", "content": "Quota please [[words:10]] [[delay:0.005]]"}],
    }
    headers = {"Authorization": f"Bearer {secret}"}
    if not stream:
        return await client.post(f"{base}/v1/chat/completions", json=payload, headers=headers)
    async with client.stream("POST", f"{base}/v1/chat/completions", json=payload, headers=headers) as response:
        await response.aread()
        return response


def month_used(environment_id: int) -> int:
    import time

    return int(redis_client().get(keys().month_used(environment_id, published.month_of(time.time()))) or 0)


def test_the_rate_limit_is_exact_across_replicas(stack, cast, ready):
    live = make_live(cast, ready)
    reconfigure(live, requests_per_minute=7)

    async def race():
        async with httpx.AsyncClient(timeout=30) as client:
            return await asyncio.gather(*(_call(client, stack[i % 2], live.secret, False) for i in range(20)))

    answers = run_async(race)
    statuses = sorted(r.status_code for r in answers)
    assert statuses == [200] * 7 + [429] * 13
    refused = [r for r in answers if r.status_code == 429]
    assert {r.json()["error"]["code"] for r in refused} == {"rate_limit_exceeded"}
    assert all(1 <= int(r.headers["retry-after"]) <= 60 for r in refused)


def test_concurrent_callers_never_overrun_the_quota_by_more_than_one_call(stack, cast, ready):
    quota = 2003
    live = make_live(cast, ready, approval={"quota_tokens": quota})
    reconfigure(live, requests_per_minute=0)
    outcome = {"ok": 0, "in_flight": 0, "open": 0, "peak": 0}

    async def caller(client, index):
        while True:
            outcome["open"] += 1
            outcome["peak"] = max(outcome["peak"], outcome["open"])
            response = await _call(client, stack[index % 2], live.secret, stream=True)
            outcome["open"] -= 1
            if response.status_code == 200:
                outcome["ok"] += 1
                continue
            code = response.json()["error"]["code"]
            if code == "quota_in_flight":
                outcome["in_flight"] += 1
                await asyncio.sleep(0.02)
                continue
            assert code == "insufficient_quota", response.text
            return

    async def race():
        limits = httpx.Limits(max_connections=128)
        async with httpx.AsyncClient(timeout=60, limits=limits) as client:
            await asyncio.gather(*(caller(client, i) for i in range(64)))

    run_async(race)
    used = month_used(live.environment.pk)
    assert outcome["peak"] >= 32  # the callers did race
    assert used == outcome["ok"] * PER_CALL
    assert quota <= used <= quota + PER_CALL, (used, outcome)


def test_reservations_hold_the_bound_and_a_dead_replicas_lease_runs_out(gateways):
    """The admission script on its own, against Redis: 300 calls racing with reservations drawn
    at random and usage never above them; then a call never settled (its replica died)."""

    async def scenario():
        client = aioredis.Redis.from_url(os.environ["REDIS_URL"])
        names = published.Keys(f"{os.environ['GATEWAY_REDIS_PREFIX']}-{secrets.token_hex(3)}")
        counters = Counters(os.environ["REDIS_URL"], names)
        quota, biggest, rng = 10_000, 0, random.Random(19)
        environment = 1

        async def caller():
            nonlocal biggest
            verdicts = []
            while True:
                reserve = rng.randint(50, 900)
                used = rng.randint(1, reserve)
                call_id = secrets.token_hex(8)
                admitted = await counters.admit(
                    environment=environment, call_id=call_id, rpm=0, quota=quota, reserve=reserve, lease=60
                )
                verdicts.append(admitted.verdict)
                if admitted.verdict == "quota":
                    return verdicts
                if admitted.verdict == "busy":
                    await asyncio.sleep(0.002)
                    continue
                biggest = max(biggest, used)
                await asyncio.sleep(rng.random() / 100)
                await counters.settle(
                    country=1,
                    environment=environment,
                    call_id=call_id,
                    usage=Usage(0, used, used),
                    reviewed=False,
                    outcome="ok",
                )

        verdicts = [v for found in await asyncio.gather(*(caller() for _ in range(50))) for v in found]
        import time

        total = int(await client.get(names.month_used(environment, published.month_of(time.time()))) or 0)
        # A call admitted and never settled holds its reservation until its lease ends.
        fresh = 2
        first = await counters.admit(environment=fresh, call_id="lost", rpm=0, quota=100, reserve=500, lease=1)
        blocked = await counters.admit(environment=fresh, call_id="next", rpm=0, quota=100, reserve=10, lease=60)
        await asyncio.sleep(1.3)
        freed = await counters.admit(environment=fresh, call_id="later", rpm=0, quota=100, reserve=10, lease=60)
        async for key in client.scan_iter(f"{names.prefix}:*"):
            await client.delete(key)
        await counters.close(timeout=5)
        await client.aclose()
        return verdicts, total, biggest, (first.verdict, blocked.verdict, freed.verdict), quota

    verdicts, total, biggest, lease, quota = run_async(scenario)
    assert "quota" in verdicts and verdicts.count("ok") > 10
    assert quota <= total <= quota + biggest
    assert lease == ("ok", "busy", "ok")
