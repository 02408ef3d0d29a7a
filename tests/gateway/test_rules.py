"""Every rule of an approval, enforced by two real gateway replicas on policies the suite's worker
published: credential (unknown, missing, revoked), state (suspended, stopped, engagement suspended), expiry, capability,
model, human review, data classification, region; and each refusal an OpenAI-style error that
names its rule, counted in its hour."""

from __future__ import annotations

import time
from datetime import date, timedelta

import httpx
import pytest
from django.utils import timezone

from deployments import environments, services
from deployments.models import DeploymentRequest, Environment
from deployments.policy import policy_build, policy_changed
from engagements.models import Engagement
from tenants.access import access_for
from tenants.isolation import country_context
from tests.conftest import wait_for
from tests.gateway.conftest import (
    chat,
    error_code,
    keys,
    lose_in_redis,
    make_live,
    published_version,
    redis_client,
    tomorrow,
    wait_published,
)

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def stack(celery_worker_process, gateways, upstreams):
    for upstream in upstreams.values():
        upstream.reset()
    return gateways


def reconfigure(live, **fields) -> None:
    """Change what was approved (as a new approval would) and publish it through the outbox."""
    with country_context(live.cast.fr):
        Environment.objects.filter(pk=live.environment.pk).update(**fields)
        policy_changed(environment=live.environment)
    wait_published(live)


def refused_everywhere(stack, secret, code: str, timeout: float = 5.0) -> float:
    """Seconds until every replica refuses with `code`."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if all(error_code_or_none(chat(base, secret)) == code for base in stack):
            return time.monotonic() - started
        time.sleep(0.02)
    raise AssertionError(f"not refused with {code} by every replica within {timeout} s")


def error_code_or_none(response: httpx.Response) -> str | None:
    return response.json().get("error", {}).get("code") if response.status_code >= 400 else None


def hour_counters(environment_id: int) -> dict:
    client = redis_client()
    found = {}
    for member in client.smembers(keys().hours):
        if member.decode().split(":")[1] == str(environment_id):
            for name, value in client.hgetall(keys().hour(member.decode())).items():
                found[name.decode()] = found.get(name.decode(), 0) + int(value)
    return found


def test_an_approved_call_passes_with_the_upstream_key_of_its_region(stack, upstreams, cast, ready):
    live = make_live(cast, ready)
    for base in stack:
        response = chat(base, live.secret)
        assert response.status_code == 200, response.text
        assert response.json()["choices"][0]["message"]["content"].startswith("The approved model")
    seen = upstreams["eu-west"].stats()["recent"]
    assert len(seen) == 2 and upstreams["default"].stats()["requests"] == 0
    # The upstream got the region's key, never the caller's credential.
    import hashlib

    assert {call["key_sha256"] for call in seen} == {hashlib.sha256(upstreams["eu-west"].key.encode()).hexdigest()}
    assert hour_counters(live.environment.pk)["outcome:ok"] == 2
    # The policy in Redis holds the upstream key sealed for the gateway, not in clear.
    assert upstreams["eu-west"].key.encode() not in redis_client().get(keys().policy(live.environment.pk))


def test_credentials_unknown_missing_and_revoked(stack, cast, ready):
    live = make_live(cast, ready)
    base = stack[0]
    assert (chat(base, None).status_code, error_code(chat(base, None))) == (401, "missing_api_key")
    wrong = chat(base, "sk-portal-not-a-key")
    assert wrong.status_code == 401 and wrong.json()["error"]["rule"] == "credential"
    old = live.secret
    environments.credential_rotate(
        environment=live.environment, by=cast.member, access=access_for(cast.member), reason="Scheduled rotation."
    )
    wait_published(live)
    seconds = refused_everywhere(stack, old, "credential_revoked")
    assert seconds < 1.0
    with country_context(cast.fr):
        environment = Environment.objects.get(pk=live.environment.pk)
    _, new = environments.credential_reveal(environment=environment, user=cast.member)
    assert all(chat(base, new).status_code == 200 for base in stack)


def test_a_suspended_environment_is_refused_on_every_replica_within_a_second(stack, cast, ready):
    live = make_live(cast, ready)
    assert chat(stack[1], live.secret).status_code == 200
    services.deployment_request_transition(
        request=live.environment.request, action="suspend", comment="Audit finding", **_act(cast.partner)
    )
    version = live.refresh().policy_version
    # From the moment the worker has written it to Redis, every replica refuses within a second.
    while published_version(live.environment.pk) < version:
        time.sleep(0.005)
    seconds = refused_everywhere(stack, live.secret, "environment_suspended")
    assert seconds < 1.0, seconds
    response = chat(stack[0], live.secret)
    assert response.status_code == 403 and response.json()["error"]["rule"] == "state"
    assert "reinstate" in response.json()["error"]["message"]
    services.deployment_request_transition(request=live.environment.request, action="reinstate", **_act(cast.partner))
    wait_published(live)
    assert all(chat(base, live.secret).status_code == 200 for base in stack)
    assert hour_counters(live.environment.pk)["refused:environment_suspended"] >= 2


def test_an_environment_takes_no_calls_while_its_countrys_engagement_is_suspended(stack, cast, ready):
    """The approval rests on the engagement: suspending it stops every environment of the country at
    the gateway (an error naming the rule), reinstating it lets the calls through again."""
    from engagements.models import Engagement
    from engagements.services import engagement_transition

    live = make_live(cast, ready)
    assert all(chat(base, live.secret).status_code == 200 for base in stack)
    with country_context(cast.fr):
        engagement = Engagement.objects.get(country=cast.fr)
    engagement_transition(engagement=engagement, action="suspend", comment="Terms under review", **_act(cast.partner))
    wait_published(live)
    refused_everywhere(stack, live.secret, "engagement_suspended")
    response = chat(stack[0], live.secret)
    assert response.status_code == 403 and response.json()["error"]["rule"] == "state"
    assert "engagement suspended" in response.json()["error"]["message"]
    assert live.refresh().state == Environment.State.ACTIVE  # the environment itself is untouched
    engagement_transition(engagement=engagement, action="reinstate", **_act(cast.partner))
    wait_published(live)
    assert all(chat(base, live.secret).status_code == 200 for base in stack)
    assert hour_counters(live.environment.pk)["refused:engagement_suspended"] >= 2


def test_an_environment_takes_no_calls_once_its_countrys_engagement_is_closed(stack, cast, ready):
    """Closing the engagement, suspended or not, leaves the country with no active one: its
    environments stay refused, with a rule that says to apply for a new engagement."""
    from engagements.models import Engagement
    from engagements.services import engagement_transition

    live = make_live(cast, ready)
    with country_context(cast.fr):
        engagement = Engagement.objects.get(country=cast.fr)
    engagement_transition(engagement=engagement, action="suspend", comment="Terms under review", **_act(cast.partner))
    wait_published(live)
    refused_everywhere(stack, live.secret, "engagement_suspended")
    engagement_transition(engagement=engagement, action="close", comment="Partnership ended", **_act(cast.partner))
    wait_published(live)
    refused_everywhere(stack, live.secret, "no_active_engagement")
    response = chat(stack[1], live.secret)
    assert response.status_code == 403 and response.json()["error"]["rule"] == "state"
    assert "applies for an engagement" in response.json()["error"]["message"]
    assert hour_counters(live.environment.pk)["refused:no_active_engagement"] >= 2


def test_an_environment_takes_calls_only_while_its_countrys_engagement_is_active(cast, ready):
    """Every state of the lifecycle: the policy lets calls through for an active engagement only."""
    from engagements.selectors import Standing, standing_of

    live = make_live(cast, ready)
    for state in Engagement.State.values:
        with country_context(cast.fr):
            Engagement.objects.filter(country=cast.fr).update(state=state)
            environment = Environment.objects.select_related("country", "request").get(pk=live.environment.pk)
            expected = {"active": "active", "suspended": "engagement_suspended"}.get(state, "no_active_engagement")
            policy = policy_build(environment=environment, request=environment.request, version=1)
            assert (state, policy.state) == (state, expected)
            assert standing_of(state) == Standing(expected)


def _act(user) -> dict:
    return {"by": user, "access": access_for(user)}


def test_an_expired_approval_is_refused(stack, cast, ready):
    live = make_live(cast, ready, approval={"expires_on": tomorrow()})
    assert chat(stack[0], live.secret).status_code == 200
    reconfigure(live, expires_on=date.today() - timedelta(days=1))
    response = chat(stack[0], live.secret)
    assert response.status_code == 403 and error_code(response) == "environment_expired"
    assert (date.today() - timedelta(days=1)).isoformat() in response.json()["error"]["message"]


def test_the_model_and_the_capabilities_are_those_approved(stack, cast, ready):
    live = make_live(cast, ready)  # approved for text only
    base = stack[0]
    wrong = chat(base, live.secret, model="another-model")
    assert wrong.status_code == 403 and error_code(wrong) == "model_not_approved"
    assert "aurora-large" in wrong.json()["error"]["message"] and wrong.json()["error"]["param"] == "model"
    embedding = httpx.post(
        f"{base}/v1/embeddings",
        json={"model": "aurora-large", "input": "x"},
        headers={"Authorization": f"Bearer {live.secret}"},
    )
    assert embedding.status_code == 403 and error_code(embedding) == "capability_not_approved"
    image = [{"type": "text", "text": "What is this?"}, {"type": "image_url", "image_url": {"url": "data:,x"}}]
    vision = httpx.post(
        f"{base}/v1/chat/completions",
        json={"model": "aurora-large", "messages": [{"role": "user", "content": image}]},
        headers={"Authorization": f"Bearer {live.secret}"},
    )
    assert vision.status_code == 403 and "'vision'" in vision.json()["error"]["message"]
    transcription = httpx.post(
        f"{base}/v1/audio/transcriptions",
        files={"file": ("a.wav", b"RIFF0000", "audio/wav")},
        data={"model": "aurora-large"},
        headers={"Authorization": f"Bearer {live.secret}"},
    )
    assert transcription.status_code == 403 and error_code(transcription) == "capability_not_approved"
    counted = hour_counters(live.environment.pk)
    assert counted["refused:model_not_approved"] == 1 and counted["refused:capability_not_approved"] == 3


def test_the_endpoints_of_approved_capabilities(stack, upstreams, cast, ready):
    live = make_live(cast, ready, capabilities=["text", "embeddings"])
    auth = {"Authorization": f"Bearer {live.secret}"}
    base = stack[1]
    embedding = httpx.post(f"{base}/v1/embeddings", json={"model": "aurora-large", "input": ["a b", "c"]}, headers=auth)
    assert embedding.status_code == 200 and len(embedding.json()["data"]) == 2
    answer = httpx.post(f"{base}/v1/responses", json={"model": "aurora-large", "input": "Say hello"}, headers=auth)
    assert answer.status_code == 200 and answer.json()["usage"]["input_tokens"] == 2
    # The call named no output ceiling: the gateway asked for one (what its reservation relies on).
    assert upstreams["eu-west"].stats()["recent"][-1]["max_output_tokens"] == 4096
    models = httpx.get(f"{base}/v1/models", headers=auth)
    assert [m["id"] for m in models.json()["data"]] == ["aurora-large"]
    counted = hour_counters(live.environment.pk)
    assert counted["in"] == 3 + 2 and counted["outcome:ok"] == 2


def test_human_review_is_a_header_the_caller_must_send_and_it_is_counted(stack, cast, ready):
    live = make_live(cast, ready, approval={"human_review_required": True})
    base = stack[0]
    refused = chat(base, live.secret)
    assert refused.status_code == 403 and error_code(refused) == "human_review_required"
    assert "X-Human-Review" in refused.json()["error"]["message"]
    bad = chat(base, live.secret, headers={"X-Human-Review": "x" * 201})
    assert bad.status_code == 400
    assert chat(base, live.secret, headers={"X-Human-Review": "case-officer-desk-4"}).status_code == 200
    assert hour_counters(live.environment.pk)["reviewed"] == 1


def test_data_classification_declared_above_the_approval_is_refused(stack, cast, ready):
    live = make_live(cast, ready)  # approved for internal data
    base = stack[0]
    assert chat(base, live.secret, headers={"X-Data-Classification": "public"}).status_code == 200
    refused = chat(base, live.secret, headers={"X-Data-Classification": "personal"})
    assert refused.status_code == 403 and error_code(refused) == "data_classification_not_approved"
    assert chat(base, live.secret, headers={"X-Data-Classification": "secret-ish"}).status_code == 400


def test_only_the_upstream_of_the_approved_region(stack, upstreams, cast, ready):
    live = make_live(cast, ready)
    base = stack[0]
    refused = chat(base, live.secret, headers={"X-Data-Region": "af-east"})
    assert refused.status_code == 403 and error_code(refused) == "region_not_approved"
    assert chat(base, live.secret, headers={"X-Data-Region": "eu-west"}).status_code == 200
    assert upstreams["eu-west"].stats()["requests"] == 1 and upstreams["default"].stats()["requests"] == 0
    # Moved to a region with no upstream of its own: internal data goes to the catch-all upstream...
    reconfigure(live, region="af-east")
    assert chat(base, live.secret).status_code == 200
    assert upstreams["default"].stats()["requests"] == 1 and upstreams["eu-west"].stats()["requests"] == 1
    # ...personal data never does.
    with country_context(cast.fr):
        DeploymentRequest.objects.filter(pk=live.environment.request_id).update(data_classification="personal")
    reconfigure(live)
    refused = chat(base, live.secret)
    assert refused.status_code == 503 and error_code(refused) == "no_upstream_for_region"
    assert "must stay in af-east" in refused.json()["error"]["message"]
    assert upstreams["default"].stats()["requests"] == 1


def test_bad_input_is_a_clear_error_and_nothing_is_counted(stack, cast, ready):
    live = make_live(cast, ready)
    base, auth = stack[0], {"Authorization": f"Bearer {live.secret}"}
    cases = [
        httpx.post(f"{base}/v1/chat/completions", content=b"{not json", headers=auth),
        httpx.post(f"{base}/v1/chat/completions", content=b"[1, 2]", headers=auth),
        httpx.post(f"{base}/v1/chat/completions", json={"messages": []}, headers=auth),
        httpx.post(f"{base}/v1/chat/completions", json={"model": 5, "messages": []}, headers=auth),
        httpx.get(f"{base}/v1/chat/completions", headers=auth),
        httpx.post(f"{base}/v1/nothing-here", json={}, headers=auth),
    ]
    assert [r.status_code for r in cases] == [400, 400, 400, 400, 405, 404]
    assert all(set(r.json()["error"]) >= {"message", "type", "code"} for r in cases)
    assert hour_counters(live.environment.pk).get("calls", 0) == 0


def test_a_body_the_upstream_could_read_otherwise_is_refused_before_it_goes_anywhere(stack, upstreams, cast, ready):
    """A body naming the approved model and another, or that other parsers read otherwise (not UTF-8,
    NaN, "stream": "true", nested past what Python reads: never a 5xx), is refused by the replica
    with the rule that refused it, counted as refused, and never reaches the upstream."""
    live = make_live(cast, ready)
    base, auth = stack[0], {"Authorization": f"Bearer {live.secret}", "Content-Type": "application/json"}
    messages = b'"messages":[{"role":"user","content":"Hi"}]'
    bodies = {
        "duplicate_member": b'{"model":"atlas-1","model":"aurora-large",' + messages + b"}",
        "invalid_encoding": '{"model":"aurora-large","messages":[{"role":"user","content":"\u00e9t\u00e9"}]}'.encode(
            "utf-16"
        ),
        "invalid_json": b'{"model":"aurora-large","temperature":NaN,' + messages + b"}",
        "invalid_type": b'{"model":"aurora-large","stream":"true",' + messages + b"}",
    }
    for code, body in bodies.items():
        refused = httpx.post(f"{base}/v1/chat/completions", content=body, headers=auth, timeout=30)
        assert refused.status_code == 400, refused.text
        assert (error_code(refused), refused.json()["error"]["rule"]) == (code, "request")
    # Half of a UTF-16 pair, escaped: refused with the member that holds it, wherever it is.
    for lone, member in ((rb"\ud800", "content"), (rb"x\udfff", "content")):
        body = b'{"model":"aurora-large","messages":[{"role":"user","content":"' + lone + b'"}]}'
        refused = httpx.post(f"{base}/v1/chat/completions", content=body, headers=auth, timeout=30)
        assert refused.status_code == 400, refused.text
        error = refused.json()["error"]
        assert (error["code"], error["param"]) == ("invalid_encoding", member), error
        assert f'"{member}"' in error["message"] and "surrogate" in error["message"]
    paired = b'{"model":"aurora-large","messages":[{"role":"user","content":"\\ud83d\\ude00"}]}'
    assert httpx.post(f"{base}/v1/chat/completions", content=paired, headers=auth, timeout=30).status_code == 200
    deep = b'{"model":"aurora-large","x":' + b"[" * 100_000 + b"]" * 100_000 + b"," + messages + b"}"
    refused = httpx.post(f"{base}/v1/chat/completions", content=deep, headers=auth, timeout=30)
    assert refused.status_code == 400 and "nested too deeply" in refused.json()["error"]["message"]
    assert upstreams["eu-west"].stats()["requests"] == 1
    counted = hour_counters(live.environment.pk)
    assert counted.get("calls", 0) == 1  # the whole pair's call
    expected = {**dict.fromkeys(bodies, 1), "invalid_json": 2, "invalid_encoding": 3}
    assert {code: counted.get(f"refused:{code}") for code in bodies} == expected


def test_a_body_sent_in_chunks_or_after_100_continue_is_read_whole(stack, upstreams, cast, ready):
    live = make_live(cast, ready)
    auth = {"Authorization": f"Bearer {live.secret}", "Content-Type": "application/json"}
    pieces = [b'{"model": "aurora-large", ', b'"messages": [{"role": "user", ', b'"content": "In pieces"}]}']
    chunked = httpx.post(f"{stack[0]}/v1/chat/completions", content=iter(pieces), headers=auth, timeout=30)
    assert chunked.status_code == 200, chunked.text
    assert upstreams["eu-west"].stats()["recent"][-1]["model"] == "aurora-large"
    body = b"".join(pieces)
    continued = httpx.post(
        f"{stack[1]}/v1/chat/completions", content=body, headers={**auth, "Expect": "100-continue"}, timeout=30
    )
    assert continued.status_code == 200, continued.text
    assert hour_counters(live.environment.pk)["outcome:ok"] == 2


def test_a_country_that_leaves_is_refused_and_one_that_stays_is_served_again(stack, cast, ready, monkeypatch):
    """Running a country's exit makes it read-only and its environments take no call on any
    replica; a run that stops and is cancelled gives them back."""
    from django.contrib.auth import get_user_model

    from tenants.keys import exit as exits
    from tenants.models import PlatformSettings

    live = make_live(cast, ready)
    assert chat(stack[0], live.secret).status_code == 200
    admin = get_user_model().objects.create_superuser("admin", "admin@platform.example", "correct-horse-battery")
    platform = PlatformSettings.load()
    platform.exit_waiting_days = 0
    platform.save()
    country = {"access": access_for(cast.owner), "by": cast.owner, "side": exits.COUNTRY}
    leaving = exits.country_exit_request(country=cast.fr, reason="Moving to a national platform.", **country)
    exits.country_exit_confirm(exit=leaving, access=None, by=admin, side=exits.PLATFORM)
    running = exits.country_exit_run(
        exit=leaving, reason="Agreed.", schedule=False, access=None, by=admin, side=exits.PLATFORM
    )
    wait_published(live)
    refused_everywhere(stack, live.secret, "country_left")
    response = chat(stack[1], live.secret)
    assert response.status_code == 403 and "left" in response.json()["error"]["message"]
    monkeypatch.setattr(exits, "country_export_verify_stored", lambda export: ["ledger: event 3 was altered"])
    stopped = exits.country_exit_proceed(exit_id=running.pk, country_id=cast.fr.pk)
    exits.country_exit_cancel(exit=stopped, reason="The country stays.", **country)
    wait_published(live)
    assert all(chat(base, live.secret).status_code == 200 for base in stack)


def test_publish_policies_brings_the_gateway_back_after_redis_lost_them(stack, cast, ready):
    """Redis restarted without its data (or the policy key changed): `manage.py publish_policies`
    has the workers publish every policy again, at a new version, and the calls are served."""
    import io

    from django.core.management import call_command

    live = make_live(cast, ready)
    assert chat(stack[0], live.secret).status_code == 200
    names = keys()
    lose_in_redis(
        lambda: redis_client().delete(
            names.policy(live.environment.pk), names.environment_credentials(live.environment.pk)
        ),
        lambda: published_version(live.environment.pk) == -1,
    )
    before = live.refresh().policy_version
    out = io.StringIO()
    call_command("publish_policies", stdout=out)
    assert "environment policies queued for publishing" in out.getvalue()
    wait_published(live)
    assert published_version(live.environment.pk) == before + 1
    deadline = time.monotonic() + 5
    while not all(chat(base, live.secret).status_code == 200 for base in stack):
        assert time.monotonic() < deadline, "the gateway did not serve the environment again"
        time.sleep(0.05)


def test_policies_redis_lost_are_published_again_by_the_check_without_anyone(stack, cast, ready):
    """Redis lost a policy (a restart without its data) or holds an older version: the check beat
    runs every minute has the workers publish it again at its current version, and the calls are
    served; a check that finds nothing missing queues nothing."""
    from deployments import tasks
    from deployments.policy import PUBLISH_TASK
    from tenants.jobs.models import OutboxMessage

    live, older = make_live(cast, ready), make_live(cast, ready, title="Second helper")
    assert chat(stack[0], live.secret).status_code == 200
    names, client = keys(), redis_client()
    version, older_version = live.refresh().policy_version, older.refresh().policy_version
    wait_for(lambda: published_version(older.environment.pk) == older_version)
    stale = client.get(names.policy(older.environment.pk)).replace(f"{older_version}|".encode(), b"0|", 1)

    def lose() -> None:
        """What a Redis without its data has, or an older one."""
        client.delete(names.policy(live.environment.pk), names.environment_credentials(live.environment.pk))
        client.delete(*client.keys(f"{names.prefix}:cred:*"))
        client.set(names.policy(older.environment.pk), stale)

    lose_in_redis(
        lose, lambda: published_version(live.environment.pk) == -1 and published_version(older.environment.pk) == 0
    )
    # A replica answers from what it holds until its next refresh (every quarter second) reads Redis.
    deadline = time.monotonic() + 2
    while chat(stack[0], live.secret).status_code != 401:
        assert time.monotonic() < deadline, "the replica still served a credential Redis no longer has"
        time.sleep(0.05)

    with country_context(cast.fr):
        OutboxMessage.objects.filter(task=PUBLISH_TASK).update(published_at=timezone.now() - timedelta(minutes=5))
    assert tasks.policies_check.apply().get() == 2  # as the worker runs it, sent by beat
    wait_published(live)
    wait_published(older)
    assert published_version(live.environment.pk) == version  # the same version, published again
    deadline = time.monotonic() + 5
    while not all(chat(base, secret).status_code == 200 for base in stack for secret in (live.secret, older.secret)):
        assert time.monotonic() < deadline, "the gateway did not serve the environments again"
        time.sleep(0.05)
    with country_context(cast.fr):
        OutboxMessage.objects.filter(task=PUBLISH_TASK).update(published_at=timezone.now() - timedelta(minutes=5))
    assert tasks.policies_check.apply().get() == 0
