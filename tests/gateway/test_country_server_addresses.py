"""A country admin declares where their country's model server is, and the gateway then calls it
from inside the platform's network: it must never be a way into that network. A declared server is
at a public address, or in a network the operators opened (COUNTRY_NETWORKS). The portal
refuses a literal address or a local name when it is saved; the gateway checks every address a
name resolves to when it connects, and connects to the address it checked."""

from __future__ import annotations

import ssl

import pytest
from django.test import override_settings

from deployments import published
from deployments.models import CountryUpstream
from gateway.upstream import ConnectError, Origin, Pool
from tenants.isolation import country_context
from tests.deployments.test_views import as_user
from tests.gateway.processes import run_async

URL = "/c/fr/deployments/servers/"
GOOD = {"region": "eu-west", "name": "National vLLM", "base_url": "https://llm.gouv.example/v1", "api_key": "sk-1"}
INSIDE = [
    "http://169.254.169.254/latest/meta-data",  # the cloud's metadata service
    "http://127.0.0.1:6379",
    "http://127.1:8000",
    "http://localhost:8000/v1",
    "http://api.localhost/v1",
    "http://[::1]:8000",
    "http://[::ffff:127.0.0.1]:8000",
    "http://0.0.0.0:8000",
    "http://10.0.0.5/v1",
    "http://192.168.1.10/v1",
    "http://172.16.0.9/v1",
    "http://[fe80::1]/v1",
    "http://224.0.0.1/v1",
    "http://2130706433:8000/v1",  # 127.0.0.1 written as one number
    "http://[64:ff9b::a9fe:a9fe]/v1",  # NAT64 to the metadata service
    "http://[2002:a9fe:a9fe::1]/v1",  # 6to4 to it
]


@pytest.mark.django_db
@override_settings(COUNTRY_NETWORKS="")
def test_a_country_admin_cannot_declare_an_address_inside_the_platform(client, cast):
    as_user(client, cast.owner)
    for address in INSIDE:
        response = client.post(URL, {**GOOD, "base_url": address})
        assert response.status_code == 400, address
        assert "inside the platform&#x27;s own network or reserved" in response.content.decode(), address
    for bad in (
        "http://llm.gouv.example:99999/v1",
        "http://llm.gouv.example:0/v1",
        f"https://{'a' * 64}.gouv.example/v1",
    ):
        assert client.post(URL, {**GOOD, "base_url": bad}).status_code == 400, bad
    with country_context(cast.fr):
        assert not CountryUpstream.objects.exists()
    assert client.post(URL, GOOD).status_code == 302  # a public name


@pytest.mark.django_db
@override_settings(COUNTRY_NETWORKS="10.20.0.0/16")
def test_a_network_the_operators_opened_may_be_declared(client, cast):
    as_user(client, cast.owner)
    assert client.post(URL, {**GOOD, "base_url": "http://10.20.3.4:8000/v1"}).status_code == 302
    assert client.post(URL, {**GOOD, "base_url": "http://10.21.3.4:8000/v1"}).status_code == 400


def test_the_rule_of_addresses():
    opened = published.country_networks("10.20.0.0/16, fd00:20::/48")
    assert published.country_address_refusal("8.8.8.8", ()) == ""
    assert published.country_address_refusal("2001:4860:4860::8888", ()) == ""
    assert published.country_address_refusal("10.20.9.9", opened) == ""
    assert published.country_address_refusal("fd00:20::1", opened) == ""
    for address in ("127.0.0.1", "169.254.169.254", "10.0.0.1", "::1", "::ffff:127.0.0.1", "0.0.0.0", "fe80::1%eth0"):
        assert published.country_address_refusal(address, opened), address
    with pytest.raises(ValueError, match="is not a network"):
        published.country_networks("10.0.0.0/8, not-a-network")


def _connect(pool: Pool, origin: Origin):
    async def run():
        try:
            connection, _ = await pool._connection(origin)
            connection.transport.close()
            return "connected"
        except ConnectError as error:
            return str(error)

    return run_async(run)


def test_the_gateway_checks_where_a_declared_name_resolves():
    """ "localhost" passes the portal's check of names only if loopback is opened; a name that
    resolves there, or a literal the URL parser does not read as an address, is stopped at connect."""
    import socket

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    port = listener.getsockname()[1]
    try:
        closed = Pool(connect_timeout=2, read_timeout=2, max_connections=4, tls=ssl.create_default_context())
        for url in (
            f"http://localhost:{port}/v1",
            f"http://127.1:{port}/v1",
            f"http://2130706433:{port}/v1",
            f"http://[64:ff9b::7f00:1]:{port}/v1",
        ):
            refusal = _connect(closed, Origin(url, declared=True))
            assert refusal == "the country's server is at an address the platform does not call", url
        # The platform's own upstreams (not declared by a country) are the operators' to set.
        assert _connect(closed, Origin(f"http://localhost:{port}/v1")) == "connected"
        opened = Pool(
            connect_timeout=2,
            read_timeout=2,
            max_connections=4,
            tls=ssl.create_default_context(),
            country_networks=published.country_networks("127.0.0.0/8"),
        )
        assert _connect(opened, Origin(f"http://localhost:{port}/v1", declared=True)) == "connected"
    finally:
        listener.close()


def test_a_name_that_cannot_be_encoded_is_a_connect_error_not_a_crash():
    closed = Pool(connect_timeout=2, read_timeout=2, max_connections=4, tls=ssl.create_default_context())
    assert _connect(closed, Origin(f"http://{'a' * 64}.example/v1", declared=True)) == "UnicodeError"
    assert _connect(closed, Origin(f"http://{'a' * 64}.example/v1")) == "UnicodeError"


def test_the_policy_says_which_upstream_a_country_declared():
    policy = published.Policy.from_dict(
        {"environment": 1, "country": 1, "state": "active", "model": "m", "upstream_declared": True}
    )
    assert policy.upstream_declared and published.Policy.from_dict(policy.as_dict()).upstream_declared
    assert not published.Policy.from_dict(
        {"environment": 1, "country": 1, "state": "active", "model": "m"}
    ).upstream_declared
