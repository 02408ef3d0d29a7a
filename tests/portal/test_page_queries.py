"""Pages and API lists hold a constant number of queries as a country's data grows tenfold (DESIGN
§9), within the budget of 15 per page: France as seed_demo leaves it (N), then with ten times its
organisations, members, events and main rows of each app (10N, tests/growth.py). Every country page
of the access matrix is held to the same rule in tests/access/test_query_growth.py."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tenants.models import Country
from tests.growth import grow, name_every_kind, session_kept_fresh

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL")

BUDGET = 15
OVERVIEW = "/c/FR/"
ACTIVITY = "/c/FR/activity/"
PAGES = [OVERVIEW, "/c/FR/organisations/", "/c/FR/members/", ACTIVITY]
API_LISTS = [
    "/api/v1/countries/FR/organisations/",
    "/api/v1/countries/FR/members/",
    "/api/v1/countries/FR/audit-events/",
    "/api/v1/countries/FR/engagements/",
    "/api/v1/countries/FR/deployment-requests/",
]


def count(client, url: str) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return len(queries.captured_queries), response.content.decode()


@pytest.fixture
def demo(db):
    call_command("seed_demo", force=True, stdout=open("/dev/null", "w"))
    france = Country.objects.get(code="FR")
    name_every_kind(france)
    return france


@pytest.fixture
def olivier(client, demo):
    client.force_login(get_user_model().objects.get(username="olivier"))
    session_kept_fresh(client)
    for url in PAGES + API_LISTS:  # warm the caches a request may fill (access, country state, templates)
        client.get(url)
    return client


def test_pages_and_lists_hold_a_constant_count_as_data_grows_tenfold_within_budget(olivier, demo):
    urls = PAGES + API_LISTS
    at_n = {url: count(olivier, url)[0] for url in urls}
    grown = grow(demo, 10)
    assert grown.after["organisations"] >= 10 * grown.before["organisations"], grown
    assert grown.after["events"] >= 10 * grown.before["events"], grown
    at_10n = {url: count(olivier, url)[0] for url in urls}
    print("\nqueries at N and 10N:", {url: (at_n[url], at_10n[url]) for url in urls})
    assert {url: (at_n[url], at_10n[url]) for url in urls if at_10n[url] > at_n[url]} == {}
    over = {url: n for url, n in {**at_n, **at_10n}.items() if n > BUDGET}
    assert over == {}


def test_the_overview_reads_its_counts_and_task_list_in_one_query_whatever_the_data(olivier, demo):
    """The counts, the five steps and the charts' figures in one query (this month's use by day in
    one more): the page costs the same at N and 10N, within the budget, and its counts are those of
    the grown data."""
    at_n, _ = count(olivier, OVERVIEW)
    grown = grow(demo, 10)
    at_10n, page = count(olivier, OVERVIEW)
    assert at_n <= BUDGET and at_10n <= at_n, (at_n, at_10n)
    assert f">{grown.after['organisations']}<" in page.replace(" ", "").replace("\n", "")


def test_the_activity_page_names_every_kind_of_target_in_one_query(olivier, demo):
    """Fifty events naming organisations, people and deployment requests: the events, the people
    and the names of every other kind, three queries beside the frame's, at N and at 10N."""
    at_n, _ = count(olivier, ACTIVITY)
    grow(demo, 10)
    at_10n, page = count(olivier, ACTIVITY)
    assert at_n <= BUDGET and at_10n <= at_n, (at_n, at_10n)
    assert "Agence " in page and "/c/fr/members/" in page.lower() and "/deployments/" in page, "kinds missing"
