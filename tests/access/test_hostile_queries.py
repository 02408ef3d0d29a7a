"""No query string gets a server error, on any page or API route: every GET route of the access matrix
is asked, by the first visitor the matrix lets in, with the query parameters the portal's filters,
pagers and forms read (and a few they do not), each set to values an attacker or a mistyped bookmark
would send: not numbers, numbers out of range, impossible dates, NUL bytes, quotes, very long
text and digits other than ASCII's ("²", "①", "١"). Each answer must be below 500: a refusal is
fine, and a page that ignores a parameter simply
answers as usual. What it guards against is a class: a filter or pager that trusts a value's type
or size."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from django.db import connection, transaction

from tests.access.matrix import routes_found, tables, url_for
from tests.identity.helpers import session_cache_forget

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL")

# Who asks: the first of these the table lets in (anonymous last, for the public pages).
ASKERS = ("admin", "officer", "partner", "auditor", "platform", "anon")

# The names the portal's views, filter forms, pagers and API filters read, and a few common ones.
NAMES = (
    "page", "cursor", "q", "state", "status", "action", "role", "actor", "before", "after", "from",
    "to", "country", "code", "organisation", "version", "supersedes", "next", "download", "sort",
    "ordering", "format", "lang", "language", "kind", "level", "severity", "period", "limit",
    "offset", "page_size", "id", "pk", "year", "month", "since", "until", "deployment", "engagement",
)  # fmt: skip

# Each value already percent-encoded as it travels; %00 is a NUL. (Bytes that are not UTF-8 and
# lone surrogates are refused before any view, tests/api/test_no_server_errors.py.)
VALUES = {
    "not a number": "abc",
    "negative": "-1",
    "beyond a bigint": "99999999999999999999999999",
    "an impossible date": "2026-13-45",
    "NUL": "a%00b",
    "quotes": quote("' OR 1=1 --\""),
    "long": "x" * 5000,
    "empty": "",
    # str.isdigit() is true of these, int() refuses the first two and reads the third as 1
    "superscript digit": quote("²"),
    "circled digit": quote("①"),
    "Arabic-Indic digit": quote("١"),
}


def get_routes(world) -> dict[str, tuple[str, str]]:
    """name -> (visitor, URL) of each GET route that answers 200 to one of ASKERS."""
    found = routes_found()
    pages = {}
    for name, (_app, route) in sorted(tables().items()):
        if route.method != "GET" or name not in found:
            continue
        expected = route.expected()
        visitor = next((v for v in ASKERS if expected[v] == "200"), None)
        url = url_for(name, route, world) if visitor else None
        if url is not None:
            pages[name] = (visitor, url)
    return pages


def answer(client, url: str) -> str | None:
    """What went wrong with one GET (None when nothing did), its writes rolled back; a streamed body
    read to its end. The test client raises what the view raised: that is a server error too."""
    try:
        with transaction.atomic():
            response = client.get(url)
            if getattr(response, "streaming", False):
                b"".join(response.streaming_content)
            transaction.set_rollback(True)
    except Exception as error:  # noqa: BLE001 (every exception a view lets out is a 500)
        return f"{type(error).__name__}: {str(error)[:200]}"
    finally:
        session_cache_forget(client)  # what the request wrote to the session, undone in the cache too
    return str(response.status_code) if response.status_code >= 500 else None


def test_no_query_string_gets_a_server_error_on_any_route(world, clients):
    routes = get_routes(world)
    assert len(routes) >= 100, f"only {len(routes)} GET routes found: is the matrix read as it should be?"
    failures = []
    asked = 0
    for name, (visitor, url) in routes.items():
        joiner = "&" if "?" in url else "?"
        for label, value in VALUES.items():
            query = "&".join(f"{key}={value}" for key in NAMES)
            problem = answer(clients[visitor], f"{url}{joiner}{query}")
            asked += 1
            if problem:
                failures.append(f"{name} as {visitor} with {label}: {problem}")
    print(f"\n{len(routes)} GET routes × {len(VALUES)} kinds of hostile query string = {asked} requests")
    assert not failures, "server errors:\n" + "\n".join(failures)
