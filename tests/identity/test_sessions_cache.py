"""Sessions read from the cache (tenants.identity.sessions): a signed-in request reads its session
with no query while the cache holds it; a session ended by the portal is ended in the cache too, so
it never opens again; and a cache that cannot be reached only costs the query."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tenants.identity.revocation import person_access_revoke

pytestmark = pytest.mark.django_db

PAGE = "/notifications/"  # any page for signed-in people only


def session_reads(client) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(PAGE).status_code == 200
    return len([q for q in captured.captured_queries if '"django_session"' in q["sql"]])


def test_a_signed_in_request_reads_its_session_from_the_cache(client, cast):
    client.force_login(cast.member)
    session_reads(client)  # a first request may find the cache empty
    assert session_reads(client) == 0


def test_a_session_ended_by_revocation_does_not_live_on_in_the_cache(client, cast):
    client.force_login(cast.member)
    assert session_reads(client) == 0  # the session was kept in the cache at sign-in, and read there
    person_access_revoke(user=cast.member)
    response = client.get(PAGE)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_a_cache_that_cannot_be_reached_only_costs_the_query(client, cast, settings):
    settings.CACHES = {
        **settings.CACHES,
        # A Redis server nobody listens for: every call to it fails at once.
        "unreachable": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:9/0"},
    }
    settings.SESSION_CACHE_ALIAS = "unreachable"
    client.force_login(cast.member)
    assert session_reads(client) == 1
    assert session_reads(client) == 1
