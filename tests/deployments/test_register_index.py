"""/register/ lists, for anyone, the countries whose public register publishes something, each
linked to its register with the number of systems it publishes now; a country that publishes
nothing is not listed, and nothing but names and counts is shown (no draft, no withdrawn text)."""

from __future__ import annotations

from html import unescape

import pytest

from tests.deployments.register_helpers import world

pytestmark = pytest.mark.django_db


@pytest.fixture
def registers(cast, ready):
    return world(cast, ready)


@pytest.mark.parametrize("who", ["anonymous", "owner", "outsider"])
def test_the_index_lists_the_countries_that_publish(client, cast, registers, who):
    if who != "anonymous":
        client.force_login(getattr(cast, who))
    response = client.get("/register/")
    assert response.status_code == 200
    html = unescape(response.content.decode())
    assert '<h1 class="govuk-heading-xl">Public AI registers</h1>' in html
    assert 'href="/register/fr/"' in html and "AI register of France" in html and "1 AI system published" in html
    assert 'href="/register/ke/"' in html and "AI register of Kenya" in html
    for never in ("Secret draft system", "Withdrawn summary never to be seen", "Kenyan text"):
        assert never not in html


def test_with_nothing_published_the_index_says_so(client, cast):
    response = client.get("/register/")
    assert response.status_code == 200
    assert "No country publishes its register yet." in unescape(response.content.decode())
    assert client.post("/register/").status_code == 405
