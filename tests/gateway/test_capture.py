"""Prompts and outputs: never stored unless the country turns it on for the environment (its
country admin, on the record); then sealed by the gateway before Redis, stored under the country's
key, and deleted by a job once past the retention the country chose."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection

from deployments import environments
from gateway import capture
from gateway.models import CapturedCall
from tenants.access import access_for
from tenants.isolation import country_context
from tenants.record.models import CountryEvent
from tests.deployments.test_views import active, as_user
from tests.gateway.conftest import chat, keys, make_live, redis_client, wait_published

PROMPT = "Whether Ms Dupont may renew her permit"


def stream_entries() -> list:
    return redis_client().xrange(keys().captured)


@pytest.mark.django_db
def test_the_setting_for_the_four_visitors(client, cast, ready):
    _, environment = active(cast, ready)
    url = f"/c/fr/deployments/environments/{environment.pk}/capture/"
    on = {"enabled": "on", "retention_days": "7"}
    assert 'id="capture-save"' in as_user(client, cast.owner).get(url.replace("capture/", "")).content.decode()
    assert 'id="capture-save"' not in as_user(client, cast.member).get(url.replace("capture/", "")).content.decode()
    assert as_user(client, cast.member).post(url, on).status_code == 403
    assert as_user(client, cast.partner).post(url, on).status_code == 403  # the country's decision
    assert as_user(client, cast.outsider).post(url, on).status_code == 404
    client.logout()
    assert "/accounts/login/" in client.post(url, on)["Location"]
    as_user(client, cast.owner)
    assert client.post(url, {"enabled": "on", "retention_days": "0"}).status_code == 400
    assert client.post(url, {"enabled": "on", "retention_days": "400"}).status_code == 400
    with country_context(cast.fr):
        assert not environment.__class__.objects.get(pk=environment.pk).capture_calls
    assert client.post(url, on).status_code == 302
    with country_context(cast.fr):
        saved = environment.__class__.objects.get(pk=environment.pk)
        event = CountryEvent.objects.get(action="environment.capture_changed")
    assert (saved.capture_calls, saved.capture_retention_days) == (True, 7)
    assert event.payload == {"environment": environment.pk, "enabled": True, "retention_days": 7}
    assert "deleted after 7 days" in client.get(url.replace("capture/", "")).content.decode()


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_captured_only_when_on_sealed_on_the_way_and_deleted_after_retention(
    celery_worker_process, gateways, upstreams, cast, ready
):
    live = make_live(cast, ready)
    before = len(stream_entries())
    assert chat(gateways[0], live.secret, content=PROMPT).status_code == 200
    assert len(stream_entries()) == before  # off: nothing kept
    environments.environment_capture_set(
        environment=live.environment, enabled=True, retention_days=3, by=cast.owner, access=access_for(cast.owner)
    )
    wait_published(live)
    assert chat(gateways[1], live.secret, content=PROMPT, headers={"X-Human-Review": "desk-4"}).status_code == 200
    entries = stream_entries()
    assert len(entries) == before + 1
    assert b"Dupont" not in b"".join(v for _, fields in entries for v in fields.values())  # sealed before Redis
    assert capture.captured_ingest() >= 1
    assert len(stream_entries()) == before
    with country_context(cast.fr):
        stored = CapturedCall.objects.get(environment_id=live.environment.pk)
        with connection.cursor() as cursor:
            cursor.execute("SELECT prompt, output FROM gateway_capturedcall WHERE id = %s", [stored.pk])
            raw = cursor.fetchone()
    assert PROMPT in stored.prompt and "The approved model" in stored.output and stored.review == "desk-4"
    assert all(value.startswith("enc1:") and "Dupont" not in value for value in raw)
    assert stored.expires_at - stored.at == timedelta(days=3)
    assert capture.captured_purge(now=stored.expires_at - timedelta(seconds=1)) == 0
    assert capture.captured_purge(now=stored.expires_at) == 1
    with country_context(cast.fr):
        assert not CapturedCall.objects.exists()
        assert CountryEvent.objects.get(action="gateway.captures_deleted").payload["calls"] == 1
