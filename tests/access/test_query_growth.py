"""Every country page of the access matrix (each GET route that takes a country's code and answers
200 to someone) costs no more queries when France's data grows tenfold (DESIGN §9): each is asked
by the first visitor who may see it, in the world as it is (N), then after tests/growth.py has
multiplied France's people, organisations, events and each app's main rows by ten (10N).

The numbers of every page are printed; the test names each page whose count grew."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from tenants.models import Country
from tests.access.matrix import routes_found, tables, url_for
from tests.growth import grow, name_every_kind, session_kept_fresh

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL")

# Who asks: the first of these the table lets in.
ASKERS = ("admin", "officer", "partner", "auditor")


def country_pages(world) -> dict[str, tuple[str, str]]:
    """name -> (visitor, URL) of each GET route taking a country's code that answers 200 to an asker."""
    found = routes_found()
    pages = {}
    for name, (_app, route) in sorted(tables().items()):
        if route.method != "GET" or name not in found or "code" not in found[name].params:
            continue
        expected = route.expected()
        visitor = next((v for v in ASKERS if expected[v] == "200"), None)
        url = url_for(name, route, world) if visitor else None
        if url is not None:
            pages[name] = (visitor, url)
    return pages


def queries(client, url: str) -> tuple[int, int]:
    """(status, number of queries) of one GET, in a savepoint rolled back after it."""
    with transaction.atomic():
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url)
            if getattr(response, "streaming", False):
                b"".join(response.streaming_content)
        transaction.set_rollback(True)
    return response.status_code, len(captured.captured_queries)


def test_no_country_page_costs_more_queries_with_ten_times_the_data(world, clients):
    france = Country.objects.get(code="FR")
    name_every_kind(france)
    pages = country_pages(world)
    for client in clients.values():
        session_kept_fresh(client)
    assert len(pages) >= 40, f"only {len(pages)} country pages found: is the matrix read as it should be?"
    for visitor, url in pages.values():  # warm what a first request fills (access, templates, caches)
        queries(clients[visitor], url)
    at_n = {name: queries(clients[visitor], url) for name, (visitor, url) in pages.items()}
    grown = grow(france, 10)
    for visitor, url in pages.values():  # warm again: the writes of the growth renewed what requests cache
        queries(clients[visitor], url)
    at_10n = {name: queries(clients[visitor], url) for name, (visitor, url) in pages.items()}

    print(f"\n{len(pages)} country pages; grown: {grown.before} -> {grown.after}; not grown: {grown.not_grown}")
    for name in pages:
        print(
            f"  {name:45} {at_n[name][1]:4} {at_10n[name][1]:4}{'  GROWS' if at_10n[name][1] > at_n[name][1] else ''}"
        )
    assert grown.after["members"] >= 10 * grown.before["members"], grown
    assert grown.after["events"] >= 10 * grown.before["events"], grown
    broken = {
        name: (at_n[name][0], at_10n[name][0]) for name in pages if (at_n[name][0], at_10n[name][0]) != (200, 200)
    }
    assert not broken, f"pages that did not answer 200 at N and 10N: {broken}"
    grows = {name: (at_n[name][1], at_10n[name][1]) for name in pages if at_10n[name][1] > at_n[name][1]}
    assert not grows, f"pages whose number of queries grows with the data (N, 10N): {grows}"
