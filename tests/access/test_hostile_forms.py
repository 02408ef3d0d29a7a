"""No form answers a server error, whatever is typed into it: every form the portal's pages show
(each GET page of the access matrix, as the first visitor the matrix lets in, read for its
`<form method="post">`s) is sent back with every one of its fields set to what a careless or hostile
person types: text where a number or a date goes, numbers beyond what the database holds, impossible
dates, NUL bytes, quotes, very long text, digits other than
ASCII's ("²", "①", "١"), nothing. Each answer must be below 500 (a form shown again
with its errors is what is expected); every write is rolled back.

The API's bodies are tried the same way by tests/api/test_no_server_errors.py and the schema-driven
tests of tests/api/."""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urljoin

import pytest
from django.db import connection, transaction

from tests.access.test_hostile_queries import get_routes
from tests.identity.helpers import session_cache_forget

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL")

VALUES = {
    "not a number": "abc",
    "beyond a bigint": "99999999999999999999999999",
    "an impossible date": "2026-13-45",
    "NUL": "a\x00b",
    "quotes": "' OR 1=1 --\"<script>",
    "long": "x" * 20000,
    "empty": "",
    # str.isdigit() is true of these, int() refuses the first two and reads the third as 1
    "superscript digit": "²",
    "circled digit": "①",
    "Arabic-Indic digit": "١",
}
SKIPPED = {"csrfmiddlewaretoken"}


class Forms(HTMLParser):
    """The post forms of a page: [(action, [field names])]."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[tuple[str, list[str]]] = []
        self._open: tuple[str, list[str]] | None = None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "form" and (attributes.get("method") or "get").lower() == "post":
            self._open = (attributes.get("action") or "", [])
            self.forms.append(self._open)
        elif tag in ("input", "select", "textarea", "button") and self._open is not None:
            name = attributes.get("name")
            if name and name not in SKIPPED and name not in self._open[1]:
                self._open[1].append(name)

    def handle_endtag(self, tag):
        if tag == "form":
            self._open = None


def forms_of(client, url: str) -> list[tuple[str, list[str]]]:
    with transaction.atomic():
        response = client.get(url)
        transaction.set_rollback(True)
    session_cache_forget(client)  # what the request wrote to the session, undone in the cache too
    if response.status_code != 200 or not response.get("Content-Type", "").startswith("text/html"):
        return []
    parser = Forms()
    parser.feed(response.content.decode())
    return [(urljoin(url, action) if action else url, names) for action, names in parser.forms if names]


def posted(client, url: str, data: dict) -> str | None:
    """What went wrong with one POST (None when nothing did), its writes rolled back."""
    try:
        with transaction.atomic():
            response = client.post(url, data)
            transaction.set_rollback(True)
    except Exception as error:  # noqa: BLE001 (every exception a view lets out is a 500)
        return f"{type(error).__name__}: {str(error)[:200]}"
    finally:
        session_cache_forget(client)  # what the request wrote to the session, undone in the cache too
    return str(response.status_code) if response.status_code >= 500 else None


def test_no_form_answers_a_server_error_whatever_is_typed(world, clients):
    seen: set[tuple[str, str]] = set()
    failures, asked = [], 0
    for name, (visitor, url) in get_routes(world).items():
        if url.startswith("/api/"):
            continue
        for action, fields in forms_of(clients[visitor], url):
            if (visitor, action) in seen or action.startswith(("/accounts/logout", "/i18n/")):
                continue
            seen.add((visitor, action))
            for label, value in VALUES.items():
                problem = posted(clients[visitor], action, dict.fromkeys(fields, value))
                asked += 1
                if problem:
                    failures.append(f"{action} (from {name}) as {visitor} with {label}: {problem}")
    print(f"\n{len(seen)} forms × {len(VALUES)} kinds of hostile input = {asked} posts")
    assert len(seen) >= 30, f"only {len(seen)} forms found: are the pages read as they should be?"
    assert not failures, "server errors:\n" + "\n".join(failures)
