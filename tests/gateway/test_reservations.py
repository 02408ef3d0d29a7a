"""A call's reservation (what admission set aside of the quota in Redis) is freed as soon as the call
ends, however it ends: a caller that goes away before the answer, an upstream that does not answer
within the read timeout. Never left to its lease (GATEWAY_LEASE_SECONDS, 15 minutes by default),
which would hold that much of the quota for calls that are over."""

from __future__ import annotations

import time

import httpx
import pytest

from tests.conftest import wait_for
from tests.gateway import processes
from tests.gateway.conftest import chat, keys, make_live, redis_client
from tests.gateway.test_rules import hour_counters

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def quick_replica(celery_worker_process, gateways, upstreams):
    """A replica that waits at most a second between two reads of an upstream."""
    for upstream in upstreams.values():
        upstream.reset()
    url, process = processes.gateway_start("test-gateway-reservations.log", GATEWAY_READ_TIMEOUT="1")
    yield gateways[0], url
    processes.gateway_stop(process)


def reserved(environment_id: int) -> int:
    return redis_client().hlen(keys().inflight_amounts(environment_id))


def test_a_call_that_ends_early_frees_its_reservation_at_once(quick_replica, upstreams, cast, ready):
    patient, quick = quick_replica  # a replica with the default read timeout (300 s), and the quick one
    live = make_live(cast, ready)
    environment = live.environment.pk
    payload = {"model": "aurora-large", "messages": [{"role": "user", "content": "Slow [[delay:4]]"}]}
    auth = {"Authorization": f"Bearer {live.secret}"}

    # The caller goes away before the answer: the reservation is freed now, not when the upstream answers.
    with pytest.raises(httpx.ReadTimeout):
        httpx.post(f"{patient}/v1/chat/completions", json=payload, headers=auth, timeout=0.5)
    gone = time.monotonic()
    wait_for(lambda: reserved(environment) == 0, timeout=1.5)
    assert time.monotonic() - gone < 1.5
    counted = wait_for(lambda: (c := hour_counters(environment)).get("outcome:client_closed") and c, timeout=5)
    assert counted["calls"] == 1

    # The upstream does not answer within the read timeout (1 s): the caller is told, the reservation freed.
    began = time.monotonic()
    payload["messages"][0]["content"] = "Slow [[delay:3]]"
    timed_out = httpx.post(f"{quick}/v1/chat/completions", json=payload, headers=auth, timeout=10)
    assert timed_out.status_code == 504 and time.monotonic() - began < 2.5, timed_out.text
    assert reserved(environment) == 0
    assert hour_counters(environment).get("outcome:upstream_error") == 1

    # And the quota was never held by either: a call is admitted and answered.
    assert chat(quick, live.secret, content="Quick [[words:3]]").status_code == 200
    assert reserved(environment) == 0
    # A stream's relay settles its call when the stream ends, and it alone: each call is counted once.
    streamed = chat(quick, live.secret, content="Streamed [[words:3]]", stream=True)
    assert streamed.status_code == 200
    wait_for(lambda: hour_counters(environment).get("outcome:ok") == 2, timeout=5)
    assert hour_counters(environment)["calls"] == 4 and reserved(environment) == 0
