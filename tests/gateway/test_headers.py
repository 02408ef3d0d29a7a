"""The headers between a caller, the gateway and the upstream: the upstream is sent the gateway's
own headers only (never a caller's, which may name what an upstream trusts: an organisation or a
project of its account, a forwarded address, a country's own server's headers), and the caller
reads of the upstream's answer its type and request id only (never its cookies, its account's
organisation and rate limits, its timings). The stand-in upstream records what it received and
answers with what a hosted upstream adds."""

from __future__ import annotations

import httpx
import pytest

from gateway.proxy import upstream_headers
from tests.gateway.conftest import chat, make_live

CALLERS_OWN = {
    "OpenAI-Organization": "org-someone-elses",
    "OpenAI-Project": "proj_someone_elses",
    "OpenAI-Beta": "assistants=v2",
    "X-Forwarded-For": "10.0.0.1",
    "X-Real-IP": "10.0.0.1",
    "Forwarded": "for=10.0.0.1",
    "X-Country-Tenant": "KE",
    "Cookie": "session=abc",
    "User-Agent": "caller/1.0",
    "Idempotency-Key": "abc-123",
    # The body is UTF-8 JSON whatever the caller says: the gateway read it, and sends it, as that.
    "Content-Type": "application/json; charset=utf-16",
}
SENT_UPSTREAM = ["accept-encoding", "authorization", "content-length", "content-type", "host"]
UPSTREAMS_OWN = [
    "set-cookie",
    "openai-organization",
    "openai-project",
    "openai-processing-ms",
    "x-ratelimit-remaining-requests",
    "x-ratelimit-limit-tokens",
    "x-envoy-upstream-service-time",
    "server",
]


@pytest.fixture
def stack(celery_worker_process, gateways, upstreams):
    for upstream in upstreams.values():
        upstream.reset()
    return gateways


def answered_headers(response: httpx.Response) -> None:
    for name in UPSTREAMS_OWN:
        assert name not in response.headers, name
    assert len(response.headers.get_list("date")) == 1  # the gateway's own, not the upstream's as well
    assert response.headers["x-request-id"].startswith("req_standin_")


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_the_upstream_gets_the_gateways_headers_and_the_caller_the_answers_own(stack, upstreams, cast, ready):
    live = make_live(cast, ready)
    response = chat(stack[0], live.secret, headers=CALLERS_OWN)
    assert response.status_code == 200, response.text
    received = upstreams["eu-west"].stats()["recent"][-1]
    assert received["headers"] == SENT_UPSTREAM
    assert received["content_type"] == "application/json"
    answered_headers(response)
    assert response.headers["content-type"].startswith("application/json")

    payload = {"model": "aurora-large", "stream": True, "messages": [{"role": "user", "content": "Hi"}]}
    headers = {**CALLERS_OWN, "Authorization": f"Bearer {live.secret}"}
    with httpx.stream("POST", f"{stack[1]}/v1/chat/completions", json=payload, headers=headers, timeout=30) as streamed:
        assert streamed.status_code == 200
        answered_headers(streamed)
        assert streamed.headers["content-type"].startswith("text/event-stream")
        streamed.read()
    received = upstreams["eu-west"].stats()["recent"][-1]
    assert received["headers"] == sorted([*SENT_UPSTREAM, "accept"])


def test_a_form_keeps_the_boundary_its_parts_were_read_at():
    form = "multipart/form-data; boundary=b0undary42"
    assert upstream_headers("audio.transcriptions", False, form, "k") == [
        ("Content-Type", form),
        ("Authorization", "Bearer k"),
    ]
    assert upstream_headers("embeddings", False, "text/plain", None) == [("Content-Type", "application/json")]
