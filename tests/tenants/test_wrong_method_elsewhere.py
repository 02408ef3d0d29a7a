"""DESIGN §4 for a wrong method: under another country's address, a signed-in person learns nothing,
not even which methods a route takes. The answer is the 404 the right method gets; in one's own
country a wrong method still answers 405, and anonymous visitors get what they got before."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db

WRONG_METHODS = [("get", "/c/{code}/data/exports/"), ("post", "/api/v1/countries/{code}/audit-events/")]


@pytest.mark.parametrize("method, url", WRONG_METHODS)
def test_a_wrong_method_on_another_countrys_route_is_not_found(client, cast, method, url):
    client.force_login(cast.owner)  # France's admin
    for code in ("ke", "zz"):  # a country they may not see, and none at all
        response = getattr(client, method)(url.format(code=code))
        assert response.status_code == 404, code
        if url.startswith("/api/"):
            assert "among those you can see" in response.json()["detail"]
    assert getattr(client, method)(url.format(code="fr")).status_code == 405
    # The right method answers the same 404 there.
    right = "post" if method == "get" else "get"
    assert getattr(client, right)(url.format(code="ke")).status_code == 404


def test_anonymous_visitors_get_what_they_got(client, cast):
    assert client.get("/c/ke/data/exports/").status_code == 302  # to the sign-in page, first
    assert client.post("/api/v1/countries/ke/audit-events/").status_code == 405
