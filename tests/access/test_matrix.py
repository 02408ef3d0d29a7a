"""The access matrix (tests/access/matrix.py): every route × every kind of visitor gets the answer of
its table, a 200 shows France's content and never Kenya's, and Kenya's objects under France's
address answer 404. A route without an entry fails here, saying where to add it."""

from __future__ import annotations

import pytest

from tests.access.matrix import answer, body_problems, disagreements, routes_found, tables, url_for

ENTRIES = tables()


def test_every_route_has_an_entry():
    problems = disagreements(routes_found(), ENTRIES)
    assert not problems, (
        "The access matrix and the URL configuration disagree (tests/access/README.md):\n  " + "\n  ".join(problems)
    )


def route_check(name: str, world, clients) -> list[str]:
    """Every visitor's answer to one route, and what is wrong with it (an empty list when nothing)."""
    app, route = ENTRIES[name]
    url = url_for(name, route, world)
    assert url is not None, f"{name}: the world has no {route.obj or route.args} in France (tests/access/objects.py)"
    problems = []
    for visitor, expected in route.expected().items():
        got, response = answer(clients[visitor], route.method, url, route.data)
        if got != expected:
            problems.append(f"{visitor}: expected {expected}, got {got} ({route.method} {url})")
            continue
        problems += [
            f"{visitor}: {p} ({url})" for p in body_problems(response, visitor=visitor, route=route, world=world)
        ]
    # Kenya's object under France's address, and France's under Kenya's: not found, for their own admins.
    if (
        route.obj
        and world.objects[route.obj].ke is not None
        and world.objects[route.obj].ke != world.objects[route.obj].fr
    ):
        for visitor, country, key_from in (("admin", "fr", "ke"), ("other_admin", "ke", "fr")):
            crossed = url_for(name, route, world, country=country, key_from=key_from)
            got, _ = answer(clients[visitor], route.method, crossed, route.data)
            if got != "404":
                problems.append(f"{visitor}: another country's object answered {got}, not 404 ({crossed})")
    return problems


@pytest.mark.parametrize("name", sorted(ENTRIES))
def test_route(name, world, clients, request):
    for fixture in ENTRIES[name][1].needs:
        request.getfixturevalue(fixture)
    problems = route_check(name, world, clients)
    assert not problems, f"{name} ({ENTRIES[name][0]}):\n  " + "\n  ".join(problems)
