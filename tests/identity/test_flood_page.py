"""allauth's own limits (ACCOUNT_RATE_LIMITS) answer with the 429 page, which says how long to wait:
the time really left when the counts can be read, else the longest the limits can hold a request,
in the reader's language."""

from __future__ import annotations

import pytest
from django.test import Client, RequestFactory
from django.utils import translation

from portal.views import too_many_requests

pytestmark = pytest.mark.django_db

ADDRESS = "203.0.113.77"


def ask_reset(client: Client, email: str = "someone@example.org", **extra):
    return client.post("/accounts/password/reset/", {"email": email}, **{"REMOTE_ADDR": ADDRESS, **extra})


def test_the_reset_pages_flood_limit_says_the_time_really_left(settings, cast):
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "reset_password": "2/10m/ip"}
    client = Client()
    assert [ask_reset(client).status_code for _ in range(2)] == [302, 302]
    refused = ask_reset(client)
    page = refused.content.decode()
    assert refused.status_code == 429 and "Wait 10 minutes, then try again." in page
    assert "a few minutes" not in page and 590 <= int(refused["Retry-After"]) <= 600
    french = ask_reset(Client(), "another@example.org", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Attendez 10 minutes" in french
    assert ask_reset(Client(), REMOTE_ADDR="198.51.100.9").status_code == 302  # another address is not held


def test_a_limit_whose_counts_cannot_be_read_gives_its_longest_window_as_a_bound(settings, cast):
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "signup": "1/3h/ip"}
    request = RequestFactory().get("/somewhere/")
    request.user, request.resolver_match = cast.member, None
    with translation.override("en"):
        response = too_many_requests(request)
    assert response.status_code == 429 and int(response["Retry-After"]) == 3 * 3600
    assert "Wait at most 3 hours, then try again." in response.content.decode()
