"""Every refusal the API gives, read in the pseudo language, is marked for translation: what a
person is told when their input is wrong, when they may not act, and when what they name is not
there. Generated from the published schema, so a new operation is tried without a line here:

- each property of each JSON body given a value of the wrong kind, one at a time, the rest of the
  body taken from the operation's own example (refused: nothing changes);
- each query parameter given a value nothing accepts;
- every write by a viewer (refused: a viewer acts on nothing);
- every operation on an object that does not exist.

Each person reads in the pseudo language by their account's setting (DESIGN §8), as the pages'
crawl does (test_pseudo_locale.py)."""

from __future__ import annotations

import copy
import html
import re

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from tenants.identity.tokens import api_token_issue
from tenants.languages.models import Preferences
from tests.languages import pseudo
from tests.languages.test_pseudo_locale import ALLOWED, _data_strings, pseudo_language  # noqa: F401 - a fixture

pytestmark = pytest.mark.django_db

WRITES = {"post", "put", "patch", "delete"}
MISSING_ID = "987654321"
# A value of the wrong kind for each kind of property, and one no parameter accepts.
WRONG = {"string": ["not", "a", "string"], "integer": "many", "number": "many", "boolean": "perhaps"}
WRONG_CHOICE = "no-such-choice"
WRONG_PARAMETER = "no-such-value-%"


def _resolve(node: dict, components: dict) -> dict:
    while "$ref" in node:
        node = components[node["$ref"].rsplit("/", 1)[1]]
    if "allOf" in node and len(node["allOf"]) == 1:
        node = {**_resolve(node["allOf"][0], components), **{k: v for k, v in node.items() if k != "allOf"}}
    return node


def _wrong(prop: dict):
    if "enum" in prop:
        return WRONG_CHOICE
    if prop.get("type") == "array":
        return "not-a-list"
    if prop.get("type") == "object":
        return "not-an-object"
    if prop.get("format") in ("date", "date-time"):
        return "not-a-date"
    return WRONG.get(prop.get("type"), ["not", "a", "value"])


def _bodies(operation: dict, components: dict):
    """(body, what was wrong) for each property of the JSON body, one wrong at a time."""
    media = operation.get("requestBody", {}).get("content", {}).get("application/json")
    if media is None:
        return
    example = media.get("example")
    if example is None and media.get("examples"):
        example = next(iter(media["examples"].values()))["value"]
    body_schema = _resolve(media["schema"], components)
    for name, prop in body_schema.get("properties", {}).items():
        if _resolve(prop, components).get("readOnly"):
            continue
        body = copy.deepcopy(example) if isinstance(example, dict) else {}
        body[name] = _wrong(_resolve(prop, components))
        yield body, name


def _path(template: str, ids: dict[str, str]) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: ids.get(m.group(1), MISSING_ID), template)


def _messages(payload) -> list[str]:
    if isinstance(payload, str):
        return [payload]
    if isinstance(payload, dict):
        return [m for value in payload.values() for m in _messages(value)]
    if isinstance(payload, list):
        return [m for value in payload for m in _messages(value)]
    return []


def _client(username: str, language: str) -> APIClient:
    user = get_user_model().objects.get(username=username)
    Preferences.objects.update_or_create(user=user, defaults={"language": language})
    client = APIClient(raise_request_exception=False)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {api_token_issue(user=user)[0]}")
    return client


def test_every_refusal_of_the_api_is_translated(pseudo_language):  # noqa: F811 - the fixture
    call_command("seed_demo", "--force", stdout=open("/dev/null", "w"))
    schema = SchemaGenerator().get_schema(request=None, public=True)
    components = schema["components"]["schemas"]
    admin, partner, viewer = (_client(name, pseudo_language) for name in ("amelie", "priya", "camille"))
    data = _data_strings()
    sent = {WRONG_CHOICE, WRONG_PARAMETER, MISSING_ID, "not-a-list", "not-an-object", "not-a-date", "many", "perhaps"}
    problems: dict[str, set[str]] = {}
    tried = refused = 0

    def check(response, what: str) -> None:
        nonlocal tried, refused
        tried += 1
        assert response.status_code < 500, (what, response.status_code, response.content[:300])
        if response.status_code < 400:
            return
        refused += 1
        assert response["Content-Language"] == pseudo_language, (what, response["Content-Language"])
        # The summary names each field ("title: …"): a field's name is the API's, in no language.
        names = [*response.json().get("errors", {})]
        for message in _messages(response.json()):
            for text in pseudo.untranslated(f"<p>{html.escape(message)}</p>", [*sent, *names, *data], ALLOWED):
                problems.setdefault(text, set()).add(what)

    listed: dict[str, str] = {}

    def first_id(collection: str) -> str:
        """The id of the first object the country admin lists there (MISSING_ID if none)."""
        if collection not in listed:
            response = admin.get(collection)
            rows = response.json().get("results", []) if response.status_code == 200 else []
            listed[collection] = str(rows[0]["id"]) if rows and "id" in rows[0] else MISSING_ID
        return listed[collection]

    for template, item in schema["paths"].items():
        if not template.startswith("/api/v1/countries/{code}/"):
            continue
        on_object = "{" in template.replace("{code}", "")
        ids = {"code": "FR"}
        if "{id}" in template:
            ids["id"] = first_id(template.split("{id}")[0].replace("{code}", "FR"))
        path = _path(template, ids)
        for method, operation in item.items():
            if method not in {"get", *WRITES}:
                continue
            if on_object:
                missing = _path(template, {"code": "FR"})
                check(getattr(admin, method)(missing, {}, format="json"), f"{method} {template} missing")
            if method == "get":
                for parameter in operation.get("parameters", []):
                    if parameter["in"] == "query":
                        response = admin.get(path, {parameter["name"]: WRONG_PARAMETER})
                        check(response, f"get {template} ?{parameter['name']}")
                continue
            check(getattr(viewer, method)(path, {}, format="json"), f"{method} {template} by a viewer")
            for body, name in _bodies(operation, components):
                for who, client in (("admin", admin), ("partner", partner)):
                    check(getattr(client, method)(path, body, format="json"), f"{method} {template} {name} ({who})")

    assert tried > 200 and refused > 150, (tried, refused)
    report = "\n".join(f"{text!r}  ← {', '.join(sorted(where)[:3])}" for text, where in sorted(problems.items()))
    assert not problems, f"{len(problems)} API messages are not marked for translation:\n{report}"
