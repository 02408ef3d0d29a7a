"""No id in a URL gets a server error when it is written in digits other than ASCII's: every route of
the access matrix that takes an argument besides the country code (an id, a number, a slug, a key)
is requested, by the first visitor the matrix lets past its checks, with that argument replaced by
a superscript, an Arabic-Indic or a circled digit. `str.isdigit()` is true of each of them, while
`int()` refuses "²" and "①" and reads "١" as 1; each answer must be below 500 (a 404 is what an id
that cannot be one gets). A country programme's code (`local-<id>`) is tried the same way.

Query strings and form fields get the same digits from tests/access/test_hostile_queries.py and
test_hostile_forms.py."""

from __future__ import annotations

import dataclasses

import pytest
from django.db import connection
from django.urls import NoReverseMatch

from tests.access.matrix import SIGN_IN, answer, routes_found, tables, url_for

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL")

DIGITS = {"superscript two": "²", "Arabic-Indic one": "١", "circled one": "①"}
SENTINEL = 918273645  # stands for the argument while the URL is built, then replaced
PASSED = {"200", "201", "202", "204", "302", "400", "405", "409", "413"}
ORDER = ("admin", "officer", "partner", "auditor", "platform", "viewer", "anon")


def visitor_of(route) -> str:
    """The first visitor who gets past the route's checks (admin when none does)."""
    expected = route.expected()
    return next((v for v in ORDER if expected.get(v) in PASSED), "admin")


def hostile_urls(name, route, world):
    """(argument, label, URL) for each non-code argument of the route and each kind of digit."""
    for param in routes_found()[name].params:
        if param == "code":
            continue
        for prefix in ("", "local-") if param == "slug" else ("",):
            try:
                url = url_for(
                    name, dataclasses.replace(route, args={**route.args, param: f"{prefix}{SENTINEL}"}), world
                )
            except NoReverseMatch:  # an argument of a fixed shape (`gov-xx`): no digits reach the view
                continue
            if url is None or str(SENTINEL) not in url:
                continue
            for label, digit in DIGITS.items():
                yield param, label, url.replace(str(SENTINEL), f"{digit}{digit}")


def test_no_id_in_other_digits_gets_a_server_error(world, clients):
    found = routes_found()
    failures, asked = [], 0
    for name, (_app, route) in sorted(tables().items()):
        if name not in found:
            continue
        visitor = visitor_of(route)
        for param, label, url in hostile_urls(name, route, world):
            word, _response = answer(clients[visitor], route.method, url, route.data)
            asked += 1
            if word.startswith("raised") or (word != SIGN_IN and int(word) >= 500):
                failures.append(f"{route.method} {url} ({name}, {param} in {label}) as {visitor}: {word}")
    print(f"\n{asked} requests with ids in other digits")
    assert asked >= 300, f"only {asked} requests: are the routes' arguments read as they should be?"
    assert not failures, "server errors:\n" + "\n".join(failures)
