"""A country's own model server for a region: declared by its country admin (the key sealed under
the country's key, on the record without it, never shown again), the page for the four visitors,
bad input refused without change, and the gateway sending that region's calls there, with its key,
until it is removed."""

from __future__ import annotations

import hashlib

import pytest
from django.db import connection

from deployments.models import CountryUpstream
from tenants.isolation import country_context
from tenants.record.models import ActionReason, CountryEvent
from tests.deployments.test_views import as_user
from tests.gateway.conftest import chat, make_live, wait_published

URL = "/c/fr/deployments/servers/"
GOOD = {
    "region": "eu-west",
    "name": "National vLLM",
    "base_url": "https://llm.gouv.example/v1",
    "api_key": "sk-local-123456",
}


@pytest.mark.django_db
def test_the_page_and_its_writes_for_the_four_visitors(client, cast):
    assert 'name="api_key"' in as_user(client, cast.owner).get(URL).content.decode()
    assert 'name="api_key"' not in as_user(client, cast.member).get(URL).content.decode()
    assert as_user(client, cast.viewer).get(URL).status_code == 200
    assert as_user(client, cast.outsider).get(URL).status_code == 404
    assert as_user(client, cast.outsider).post(URL, GOOD).status_code == 404
    assert as_user(client, cast.member).post(URL, GOOD).status_code == 403
    client.logout()
    assert "/accounts/login/" in client.post(URL, GOOD)["Location"]
    with country_context(cast.fr):
        assert not CountryUpstream.objects.exists()
    as_user(client, cast.owner)
    for bad in (
        {**GOOD, "base_url": "https://user:pw@llm.gouv.example/v1"},
        {**GOOD, "base_url": "ftp://llm.gouv.example"},
        {**GOOD, "region": "mars"},
        {**GOOD, "api_key": "two words"},
    ):
        assert client.post(URL, bad).status_code == 400, bad
    with country_context(cast.fr):
        assert not CountryUpstream.objects.exists()
    assert client.post(URL, GOOD).status_code == 302
    html = client.get(URL).content.decode()
    assert "National vLLM" in html and GOOD["api_key"] not in html
    with country_context(cast.fr):
        upstream = CountryUpstream.objects.get()
        with connection.cursor() as cursor:
            cursor.execute("SELECT api_key FROM deployments_countryupstream WHERE id = %s", [upstream.pk])
            stored = cursor.fetchone()[0]
        event = CountryEvent.objects.get(action="gateway.upstream_set")
    assert stored.startswith("enc1:") and GOOD["api_key"] not in stored
    assert upstream.api_key == GOOD["api_key"]
    assert event.payload == {"upstream": upstream.pk, "region": "eu-west", "with_key": True}
    remove = f"{URL}{upstream.pk}/remove/"
    assert as_user(client, cast.member).post(remove).status_code == 403
    assert as_user(client, cast.outsider).post(remove).status_code == 404
    assert client.post(remove.replace("/c/fr/", "/c/ke/")).status_code == 404
    client.logout()
    assert client.post(remove, {"comment": "x"})["Location"].startswith("/accounts/login/")
    # One click is not enough: the list links to a confirmation, a bare POST removes nothing.
    as_user(client, cast.owner)
    assert f'href="{remove}"' in client.get(URL).content.decode()
    confirm = client.get(remove).content.decode()
    assert 'class="govuk-warning-text"' in confirm and "Yes, remove the server" in confirm
    response = client.post(remove)
    assert response.status_code == 400 and "Say why: the reason goes on the record." in response.content.decode()
    with country_context(cast.fr):
        assert CountryUpstream.objects.exists()
    assert client.post(remove, {"comment": "Moving to the new data centre."}).status_code == 302
    with country_context(cast.fr):
        assert not CountryUpstream.objects.exists()
        event = CountryEvent.objects.get(action="gateway.upstream_removed")
        assert ActionReason.objects.get(pk=event.payload["reason"]).reason == "Moving to the new data centre."


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_the_gateway_sends_the_regions_calls_to_the_countrys_server(
    client, celery_worker_process, gateways, upstreams, cast, ready
):
    for upstream in upstreams.values():
        upstream.reset()
    live = make_live(cast, ready)
    # The country's "own server" here is the stand-in on the other socket, with its own key.
    own = upstreams["default"]
    as_user(client, cast.owner)
    response = client.post(
        URL, {"region": "eu-west", "name": "National vLLM", "base_url": own.url + "/v1", "api_key": own.key}
    )
    assert response.status_code == 302
    wait_published(live)
    assert chat(gateways[0], live.secret).status_code == 200
    seen = own.stats()["recent"]
    assert len(seen) == 1 and seen[0]["key_sha256"] == hashlib.sha256(own.key.encode()).hexdigest()
    assert upstreams["eu-west"].stats()["requests"] == 0
    with country_context(cast.fr):
        upstream = CountryUpstream.objects.get()
    assert client.post(f"{URL}{upstream.pk}/remove/", {"comment": "Back to the platform's server."}).status_code == 302
    wait_published(live)
    assert chat(gateways[1], live.secret).status_code == 200
    assert upstreams["eu-west"].stats()["requests"] == 1 and own.stats()["requests"] == 1
