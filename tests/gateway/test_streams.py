"""Streams through the gateway: passed through as they come (not gathered whole), usage read from
the upstream's last chunk (the gateway asks for it, and hides it from a caller who did not), a
caller who disconnects mid-stream (the upstream request is closed; what was streamed is counted),
an environment stopped mid-stream, and the upstream's 429 and 5xx told as OpenAI-style errors."""

from __future__ import annotations

import contextlib
import json
import time

import httpx
import pytest

from deployments import environments
from tenants.access import access_for
from tests.conftest import wait_for
from tests.gateway.conftest import error_code, make_live, published_version
from tests.gateway.test_rules import hour_counters

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def stack(celery_worker_process, gateways, upstreams):
    for upstream in upstreams.values():
        upstream.reset()
    return gateways


@contextlib.contextmanager
def open_stream(base: str, secret: str, content: str, **body):
    payload = {"model": "aurora-large", "stream": True, "messages": [{"role": "user", "content": content}], **body}
    with httpx.Client(timeout=30) as client:
        with client.stream(
            "POST", f"{base}/v1/chat/completions", json=payload, headers={"Authorization": f"Bearer {secret}"}
        ) as response:
            yield response


def events(response) -> list:
    found = []
    for line in response.iter_lines():
        if line.startswith("data: "):
            found.append(line[6:] if line[6:] == "[DONE]" else json.loads(line[6:]))
    return found


def test_a_stream_is_relayed_with_its_usage_counted_and_hidden_unless_asked(stack, upstreams, cast, ready):
    live = make_live(cast, ready)
    with open_stream(stack[0], live.secret, "Two words [[words:5]]") as response:
        assert response.status_code == 200 and response.headers["content-type"].startswith("text/event-stream")
        got = events(response)
    assert got[-1] == "[DONE]"
    assert "".join(e["choices"][0]["delta"].get("content", "") for e in got[:-1] if e["choices"]).count(" ") == 4
    assert all(e["choices"] for e in got[:-1])  # no usage chunk: the caller did not ask for one
    sent = upstreams["eu-west"].stats()["recent"][-1]
    assert sent["stream_options"] == {"include_usage": True} and sent["max_completion_tokens"] == 4096
    with open_stream(
        stack[1], live.secret, "Two words [[words:5]]", stream_options={"include_usage": True}
    ) as response:
        got = events(response)
    assert got[-2]["choices"] == [] and got[-2]["usage"] == {
        "prompt_tokens": 3,
        "completion_tokens": 5,
        "total_tokens": 8,
    }
    counted = hour_counters(live.environment.pk)
    assert (counted["total"], counted["est"], counted["outcome:ok"]) == (16, 0, 2)


def test_a_stream_passes_as_it_comes(stack, cast, ready):
    live = make_live(cast, ready)
    started = time.monotonic()
    arrivals = []
    with open_stream(stack[0], live.secret, "Slowly [[words:6]] [[delay:0.4]]") as response:
        for line in response.iter_lines():
            if line.startswith("data: ") and '"content":"' in line and '"content":""' not in line:
                arrivals.append(time.monotonic() - started)
    assert len(arrivals) == 6
    # Each word arrived when the upstream sent it, not all together at the end.
    assert arrivals[-1] - arrivals[0] > 1.5 and arrivals[0] < 1.2


def test_a_caller_that_disconnects_mid_stream_closes_the_upstream_and_is_counted(stack, upstreams, cast, ready):
    live = make_live(cast, ready)
    read = 0
    with open_stream(stack[0], live.secret, "Long answer [[words:40]] [[delay:0.1]]") as response:
        for line in response.iter_lines():
            if line.startswith("data: "):
                read += 1
            if read == 4:
                break  # and the connection is closed as the block ends
    wait_for(lambda: upstreams["eu-west"].stats()["streams_cut"] == 1, timeout=10)
    assert upstreams["eu-west"].stats()["streams_completed"] == 0
    counted = wait_for(lambda: (c := hour_counters(live.environment.pk)).get("outcome:client_closed") and c)
    # What was streamed is counted, as an estimate: the input from its size, one token per event.
    assert 0 < counted["out"] < 40 and counted["est"] == counted["total"] > counted["out"]


def test_an_environment_stopped_mid_stream_ends_the_stream_with_the_rule(stack, upstreams, cast, ready):
    live = make_live(cast, ready)
    got = []
    with open_stream(stack[1], live.secret, "Long answer [[words:100]] [[delay:0.1]]") as response:
        lines = response.iter_lines()
        for line in lines:
            if line.startswith("data: "):
                got.append(line)
            if len(got) == 3:
                break
        environments.environment_gateway_switch(
            environment=live.environment, stop=True, by=cast.owner, access=access_for(cast.owner), reason="A test."
        )
        version = live.refresh().policy_version
        wait_for(lambda: published_version(live.environment.pk) >= version, timeout=10, interval=0.005)
        published_at = time.monotonic()
        for line in lines:
            if line.startswith("data: "):
                got.append(line)
        ended = time.monotonic() - published_at
    last = json.loads(got[-1][6:])
    assert last["error"]["code"] == "environment_stopped" and last["error"]["rule"] == "state"
    assert ended < 1.0, ended
    assert len(got) < 100
    wait_for(lambda: upstreams["eu-west"].stats()["streams_cut"] == 1, timeout=10)
    assert wait_for(lambda: hour_counters(live.environment.pk).get("outcome:stopped")) == 1
    refused = httpx.post(
        f"{stack[0]}/v1/chat/completions",
        json={"model": "aurora-large", "messages": []},
        headers={"Authorization": f"Bearer {live.secret}"},
    )
    assert refused.status_code == 403 and error_code(refused) == "environment_stopped"


def test_the_upstreams_429_and_5xx_are_told_as_openai_errors(stack, cast, ready):
    live = make_live(cast, ready)
    auth = {"Authorization": f"Bearer {live.secret}"}

    def call(content, stream=False):
        return httpx.post(
            f"{stack[0]}/v1/chat/completions",
            json={"model": "aurora-large", "stream": stream, "messages": [{"role": "user", "content": content}]},
            headers=auth,
            timeout=30,
        )

    throttled = call("[[status:429]]")
    assert throttled.status_code == 429 and error_code(throttled) == "upstream_rate_limited"
    assert throttled.headers["retry-after"] == "1" and "throttling" in throttled.json()["error"]["message"]
    failed = call("[[status:503]]", stream=True)
    assert failed.status_code == 502 and error_code(failed) == "upstream_error"
    assert "answered 503" in failed.json()["error"]["message"]
    counted = hour_counters(live.environment.pk)
    assert counted["outcome:upstream_error"] == 2 and counted["total"] == 0


def test_a_responses_stream_is_counted_from_its_completed_event(stack, cast, ready):
    live = make_live(cast, ready)
    with httpx.Client(timeout=30) as client:
        with client.stream(
            "POST",
            f"{stack[0]}/v1/responses",
            json={"model": "aurora-large", "stream": True, "input": "Three short words [[words:7]]"},
            headers={"Authorization": f"Bearer {live.secret}"},
        ) as response:
            body = response.read().decode()
    assert body.count("response.output_text.delta") >= 7 and "response.completed" in body
    counted = hour_counters(live.environment.pk)
    assert (counted["in"], counted["out"], counted["est"]) == (4, 7, 0)
