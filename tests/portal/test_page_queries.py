"""Pages and API lists hold a constant number of queries as a country's data grows tenfold (DESIGN
§9), within the budget of 15 per page: France as seed_demo leaves it (N), then with ten times its
organisations, members and events (10N)."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tenants.isolation import country_context
from tenants.models import Country, Membership, Organisation
from tenants.record.ledger import event_record

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL")

BUDGET = 15
PAGES = ["/c/FR/", "/c/FR/organisations/", "/c/FR/members/", "/c/FR/activity/"]
API_LISTS = [
    "/api/v1/countries/FR/organisations/",
    "/api/v1/countries/FR/members/",
    "/api/v1/countries/FR/audit-events/",
    "/api/v1/countries/FR/engagements/",
    "/api/v1/countries/FR/deployment-requests/",
]


def grow(country: Country, factor: int) -> None:
    """Multiply the country's organisations, members and events by about `factor`."""
    users = get_user_model()
    with country_context(country):
        organisations = Organisation.objects.filter(country=country).count()
        members = Membership.objects.filter(country=country).count()
        events = 0
        from tenants.record.models import CountryEvent

        events = CountryEvent.objects.filter(country=country).count()
        new_orgs = Organisation.objects.bulk_create(
            Organisation(country=country, name=f"Agence {i}", kind="agency")
            for i in range(organisations * (factor - 1))
        )
        for i in range(members * (factor - 1)):
            user = users.objects.create_user(username=f"grown{i}", password=None)
            Membership.objects.create(
                country=country, user=user, organisation=new_orgs[i % len(new_orgs)], role="viewer"
            )
        for i in range(events * (factor - 1)):
            event_record(country=country, action="test.grown", payload={"i": i})


def count(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return len(queries.captured_queries)


@pytest.fixture
def demo(db):
    call_command("seed_demo", force=True, stdout=open("/dev/null", "w"))
    return Country.objects.get(code="FR")


OVERVIEW = "/c/FR/"


def test_pages_and_lists_hold_a_constant_count_as_data_grows_tenfold_within_budget(client, demo):
    client.force_login(get_user_model().objects.get(username="olivier"))
    urls = PAGES + API_LISTS
    for url in urls:  # warm the caches a request may fill (access, country state, templates)
        client.get(url)
    at_n = {url: count(client, url) for url in urls}
    grow(demo, 10)
    at_10n = {url: count(client, url) for url in urls}
    print("\nqueries at N and 10N:", {url: (at_n[url], at_10n[url]) for url in urls})
    # Never more queries with ten times the data. (The record's sentences name their targets with one
    # query per kind of target on the page, so a page of grown events, all of one kind, may need fewer.)
    assert all(at_10n[url] <= at_n[url] for url in urls), {url: (at_n[url], at_10n[url]) for url in urls}
    assert {url: n for url, n in at_n.items() if n > BUDGET and url not in OVER_BUDGET} == {}


ACTIVITY = "/c/FR/activity/"
# Known over the budget, each with a test of its own that fails (strictly) until it is brought down.
OVER_BUDGET = {OVERVIEW}


def test_the_activity_page_within_budget(client, demo):
    """One query per kind of event target, without a savepoint each now that the names are read in
    the page's own country context (tenants.isolation.reading_context)."""
    client.force_login(get_user_model().objects.get(username="olivier"))
    client.get(ACTIVITY)
    assert count(client, ACTIVITY) <= BUDGET


@pytest.mark.xfail(
    strict=True,
    reason="The overview's onboarding steps read their own figures in four apps, and its charts read them "
    "again grouped (portal/dashboards.py): about 43 queries, constant as data grows.",
)
def test_the_country_overview_within_budget(client, demo):
    client.force_login(get_user_model().objects.get(username="olivier"))
    client.get(OVERVIEW)
    assert count(client, OVERVIEW) <= BUDGET


# Until the overview is within the budget, it may not grow: 47 queries before its charts, 43 with
# them (the steps read inside the page's country context instead of opening it again).
OVERVIEW_CEILING = 43


def test_the_country_overview_no_worse_than_before(client, demo):
    client.force_login(get_user_model().objects.get(username="olivier"))
    client.get(OVERVIEW)
    assert count(client, OVERVIEW) <= OVERVIEW_CEILING
