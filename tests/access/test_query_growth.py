"""Every country page and API route of the access matrix (each GET route that takes a country's code)
costs no more queries when France's data grows tenfold, and no more than the budget of 15 (DESIGN
§9, issue "Fast at national scale"). Each route is asked by each of the country's own admin, a
partner manager and an auditor assigned to France who gets a 200 from it, in the world as it is
(N), then after tests/growth.py has multiplied France's people, organisations, events and each
app's main rows by ten (10N). The world and the growth are made once for both tests.

The numbers of every route and asker are printed; a failure names each route that grew or is over
the budget, with the queries it ran, the most repeated first."""

from __future__ import annotations

from collections import Counter

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from tenants.models import Country
from tests.access.matrix import routes_found, tables, url_for
from tests.growth import grow, name_every_kind, session_kept_fresh

pytestmark = [pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL"), pytest.mark.django_db]

# Who asks: the country's own admin, a partner manager and an auditor, each where the table lets them in.
ASKERS = ("admin", "partner", "auditor")
BUDGET = 15
# Routes allowed more than BUDGET queries: name -> (the most they may cost at 10N, whoever asks; why).
# None is today. A route that is constant as the data grows but cannot yet be brought within the
# budget goes here with its figure and its cause, and leaves as soon as it is within the budget (the
# test says so).
OVER_BUDGET: dict[str, tuple[int, str]] = {}


def country_routes(world) -> dict[tuple[str, str], str]:
    """(name, asker) -> URL of each GET route taking a country's code that answers 200 to the asker."""
    found = routes_found()
    routes = {}
    for name, (_app, route) in sorted(tables().items()):
        if route.method != "GET" or name not in found or "code" not in found[name].params:
            continue
        expected = route.expected()
        url = url_for(name, route, world)
        for asker in ASKERS:
            if url is not None and expected[asker] == "200":
                routes[(name, asker)] = url
    return routes


def queries(client, url: str) -> tuple[int, list[str]]:
    """(status, the SQL of each query) of one GET, in a savepoint rolled back after it."""
    connection.queries_log.clear()  # the log keeps 9000 queries: a capture that spans its wrap counts none
    with transaction.atomic():
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url)
            if getattr(response, "streaming", False):
                b"".join(response.streaming_content)
        transaction.set_rollback(True)
    return response.status_code, [q["sql"] for q in captured.captured_queries]


def _measure(clients, routes) -> dict[tuple[str, str], tuple[int, list[str]]]:
    """Each route asked twice in a row, the second counted: the first fills what a first request
    fills (access, templates, caches), just before, so that no cache with a lifetime (a country's
    key is kept a minute) runs out between the two on one side of the comparison only."""
    measured = {}
    for (name, asker), url in routes.items():
        queries(clients[asker], url)
        measured[(name, asker)] = queries(clients[asker], url)
    return measured


def _shown(sqls: list[str]) -> str:
    """The queries of a route, the most repeated first, each cut to a line."""
    counted = Counter(sql[:160] for sql in sqls)
    return "\n".join(f"    {n} × {sql}" for sql, n in counted.most_common())


@pytest.fixture(scope="module")
def measured(world, django_db_blocker):
    """The routes, their answers and queries at N and at 10N, and what the growth made."""
    with django_db_blocker.unblock():
        france = Country.objects.get(code="FR")
        name_every_kind(france)
        routes = country_routes(world)
        for client in world.clients.values():
            session_kept_fresh(client)
        at_n = _measure(world.clients, routes)
        grown = grow(france, 10)
        at_10n = _measure(world.clients, routes)
    print(f"\n{len(routes)} routes × askers; grown: {grown.before} -> {grown.after}; not grown: {grown.not_grown}")
    for key in routes:
        n, ten_n = len(at_n[key][1]), len(at_10n[key][1])
        flags = ("  GROWS" if ten_n > n else "") + ("  OVER" if ten_n > BUDGET else "")
        print(f"  {key[0]:45} {key[1]:8} {n:4} {ten_n:4}{flags}")
    return routes, at_n, at_10n, grown


def test_no_country_page_costs_more_queries_with_ten_times_the_data(measured):
    routes, at_n, at_10n, grown = measured
    assert len({name for name, _asker in routes}) >= 40, "few country routes found: is the matrix read as it should be?"
    assert grown.after["members"] >= 10 * grown.before["members"], grown
    assert grown.after["events"] >= 10 * grown.before["events"], grown
    broken = {key: (at_n[key][0], at_10n[key][0]) for key in routes if (at_n[key][0], at_10n[key][0]) != (200, 200)}
    assert not broken, f"routes that did not answer 200 at N and 10N: {broken}"
    grows = {key: (len(at_n[key][1]), len(at_10n[key][1])) for key in routes if len(at_10n[key][1]) > len(at_n[key][1])}
    assert not grows, "routes whose number of queries grows with the data (N, 10N):\n" + "\n".join(
        f"  {key}: {counts}\n{_shown(at_10n[key][1])}" for key, counts in grows.items()
    )


def test_every_country_page_is_within_the_budget_at_ten_times_the_data(measured):
    routes, _at_n, at_10n, _grown = measured
    assert {name for name, _asker in routes} >= set(OVER_BUDGET), "an exception names a route that is gone"
    allowed = {key: OVER_BUDGET.get(key[0], (BUDGET, ""))[0] for key in routes}
    over = {key: len(at_10n[key][1]) for key in routes if len(at_10n[key][1]) > allowed[key]}
    assert not over, (
        f"routes over {BUDGET} queries (or their exception's figure) at 10N (name, asker): {over}\n"
        + "\n".join(f"  {key}: {n}\n{_shown(at_10n[key][1])}" for key, n in over.items())
    )
    assert all(at_10n[key][1] for key in routes), "a route ran no query: was the capture read as it should be?"
    within = [name for name in OVER_BUDGET if all(len(at_10n[key][1]) <= BUDGET for key in routes if key[0] == name)]
    assert not within, f"exceptions that are within the budget now: remove them from OVER_BUDGET: {within}"
