"""The access matrix: every route of the URL configuration × every kind of visitor, with the answer
each must get. The routes come from `get_resolver()`; the answers from the tables of
tests/access/routes_<app>.py (one line per route, keyed by the URL name; README.md says how).

An answer is a status (`200`, `403`, `404`, `405`…) or `in`, a redirect to the sign-in page. On a
200, the body is read: it must name France's object where the route shows one, and never name
Kenya's (nor, for a visitor who cannot see Kenya, Kenya itself)."""

from __future__ import annotations

import functools
import importlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.cookies import SimpleCookie

from django.conf import settings
from django.db import transaction
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.access.world import VISITORS, World
from tests.identity.helpers import session_cache_forget

APPS = ("portal", "accounts", "tenants", "training", "engagements", "governance", "deployments")
SIGN_IN = "in"
# Visitors who may see Kenya: on France's pages only Kenya's own objects are forbidden to them.
SEES_KENYA = {"other_admin", "partner_other", "auditor_other", "platform"}


@dataclass(frozen=True)
class Route:
    """One line of a table: the method, the answers in VISITORS order (a string of ten words), the
    kind of object the URL names (tests/access/objects.py), further URL arguments (a value, or
    `@kind` for an object's key), the body of a POST, and whether a 200 shows the object's name."""

    method: str
    answers: str
    obj: str | None = None
    args: dict = field(default_factory=dict)
    data: dict | None = None
    shows: bool = True
    needs: tuple[str, ...] = ()  # fixtures the route's answer depends on (readyz: a worker answering)
    names_others: bool = False  # a 200 names other countries by design (what they share with France)

    def expected(self) -> dict[str, str]:
        words = self.answers.split()
        if len(words) != len(VISITORS):
            raise ValueError(f"{len(words)} answers for {len(VISITORS)} visitors: {self.answers!r}")
        return dict(zip(VISITORS, words))


def GET(answers: str, **kwargs) -> Route:
    return Route("GET", answers, **kwargs)


def POST(answers: str, **kwargs) -> Route:
    return Route("POST", answers, **kwargs)


@dataclass(frozen=True)
class Found:
    name: str  # the URL name, namespaced (`governance:incident`), or the path for an unnamed route
    path: str
    params: tuple[str, ...]
    app: str


def _app_of(callback) -> str:
    module = getattr(callback, "__module__", "") or ""
    top = module.split(".")[0]
    if top in {"allauth"} or module.startswith("tenants.identity") or module.startswith("portal.account"):
        return "accounts"
    if module.startswith("django.contrib.admin"):
        return "admin"
    return top if top in APPS else "portal"


def _params(pattern) -> tuple[str, ...]:
    return tuple(getattr(pattern, "converters", {}) or pattern.regex.groupindex)


def routes_walk(
    resolver: URLResolver | None = None, prefix: str = "", namespace: str = "", params: tuple[str, ...] = ()
) -> Iterator[Found]:
    """Every route of the URL configuration, the admin's excepted (one family, tested apart)."""
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            if pattern.namespace == "admin":
                continue
            inner = f"{namespace}:{pattern.namespace}" if namespace and pattern.namespace else pattern.namespace
            yield from routes_walk(
                pattern, prefix + str(pattern.pattern), inner or namespace, params + _params(pattern.pattern)
            )
        elif isinstance(pattern, URLPattern):
            path = prefix + str(pattern.pattern)
            name = f"{namespace}:{pattern.name}" if namespace and pattern.name else (pattern.name or path)
            yield Found(name, path, params + _params(pattern.pattern), _app_of(pattern.callback))


@functools.cache
def routes_found() -> dict[str, Found]:
    """Routes by name; where two routes share a name, the first wins, as it does for reverse()."""
    found: dict[str, Found] = {}
    for route in routes_walk():
        found.setdefault(route.name, route)
    return found


def tables() -> dict[str, tuple[str, Route]]:
    """Every entry of every table: name -> (app, route)."""
    entries: dict[str, tuple[str, Route]] = {}
    for app in APPS:
        module = importlib.import_module(f"tests.access.routes_{app}")
        for name, route in module.ROUTES.items():
            if name in entries:
                raise ValueError(f"{name} has entries in routes_{entries[name][0]} and routes_{app}")
            entries[name] = (app, route)
    return entries


def _params_of(name: str) -> tuple[str, ...]:
    found = routes_found().get(name)
    return found.params if found else ()


def url_for(name: str, route: Route, world: World, *, country: str = "fr", key_from: str | None = None):
    """The URL of `name` for France (or `country`); the object's key taken from `key_from`'s country.
    None when the world has no such object."""
    key_country = key_from or country
    kwargs = {}
    for param in _params_of(name):
        value = route.args.get(param)
        if value is None and param == "code":
            value = country
        elif value is None and param in {"pk", "id"} and route.obj:
            value = getattr(world.objects[route.obj], key_country)
        elif isinstance(value, str) and value.startswith("@"):
            value = getattr(world.objects[value[1:]], key_country)
        if value is None:
            return None
        kwargs[param] = value
    if "/" in name:
        return "/" + name  # an unnamed route (no arguments): its path is its URL
    return reverse(name, kwargs=kwargs)


def answer(client, method: str, url: str, data) -> tuple[str, object]:
    """One request in a savepoint rolled back afterwards: what it changed is undone for the next."""
    cookies = client.cookies  # a sign-out, undone in the database, must be undone in the client too
    client.cookies = SimpleCookie(cookies.output(header="", sep="\n") and {k: m.value for k, m in cookies.items()})
    try:
        with transaction.atomic():
            if method == "GET":
                response = client.get(url)
            elif url.startswith("/api/"):
                response = client.generic(method, url, data=_json(data), content_type="application/json")
            else:
                response = client.generic(
                    method, url, data=_form(data), content_type="application/x-www-form-urlencoded"
                )
            transaction.set_rollback(True)
    except Exception as error:  # a crash is an answer of the matrix too, reported as such
        return f"raised {type(error).__name__}: {error}"[:200], None
    finally:
        client.cookies = cookies
        session_cache_forget(client)  # what the request wrote to the session, undone in the cache too
    return word_of(response), response


def _json(data) -> str:
    import json

    return json.dumps(data or {})


def _form(data) -> str:
    from urllib.parse import urlencode

    return urlencode(data or {}, doseq=True)


def word_of(response) -> str:
    location = response.get("Location", "") if response.status_code in (301, 302, 303) else ""
    if location.split("?")[0].rstrip("/").endswith(settings.LOGIN_URL.rstrip("/")):
        return SIGN_IN
    return str(response.status_code)


def body_problems(response, *, visitor: str, route: Route, world: World) -> list[str]:
    """What a 200 says that it must not, or leaves out what it must say."""
    if response is None or response.status_code != 200 or getattr(response, "streaming", False):
        return []
    kind = response.get("Content-Type", "")
    if not any(t in kind for t in ("html", "json", "text", "csv")):
        return []
    body = _unescaped(response.content.decode("utf-8", "replace"))
    problems = []
    found = world.objects.get(route.obj) if route.obj else None
    if found and route.shows and found.fr_text and found.fr_text not in body:
        problems.append(f"does not show France's object ({found.fr_text!r})")
    forbidden = []
    if found and found.ke_text and found.ke_text != (found.fr_text or ""):
        forbidden.append(found.ke_text)
    if visitor not in SEES_KENYA and not route.names_others:
        forbidden.extend(world.ke_markers)
    for text in forbidden:
        if text and text in body:
            problems.append(f"shows Kenya's {text!r}")
    return problems


def _unescaped(body: str) -> str:
    import html

    return html.unescape(body)


def disagreements(found: dict[str, Found], entries: dict[str, tuple[str, Route]]) -> list[str]:
    """Routes without an entry (with the file to add it to) and entries without a route."""
    missing = [
        f"{name} ({route.path}): no entry; add a line to tests/access/routes_{route.app}.py"
        for name, route in found.items()
        if name not in entries
    ]
    stale = [
        f"{name}: entry in routes_{app}.py for a route that is gone"
        for name, (app, _) in entries.items()
        if name not in found
    ]
    return missing + stale


def matrix_size() -> tuple[int, int]:
    return len(tables()), len(VISITORS)
