"""The schema tells the truth: it validates without a warning, every operation has a summary (each
its own), documents its errors and carries an example of each body that its own schema accepts,
paged lists are documented as pages, and created objects link to what can be done with them."""

from __future__ import annotations

import copy

import jsonschema
import pytest
from django.core.management import call_command
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from tenants.identity.tokens import api_token_issue

METHODS = {"get", "post", "put", "patch", "delete"}


@pytest.fixture(scope="module")
def schema() -> dict:
    return SchemaGenerator().get_schema(request=None, public=True)


def operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield path, method, operation


def test_spectacular_validates_without_a_warning(tmp_path):
    # --fail-on-warn turns every warning (a component name used twice, an enum named twice…) into an error.
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))


def test_every_operation_has_a_summary_of_its_own(schema):
    summaries = {}
    for path, method, operation in operations(schema):
        assert operation.get("summary"), f"{method.upper()} {path} has no summary"
        assert not operation["summary"].startswith("Base of"), f"{method.upper()} {path}: {operation['summary']}"
        summaries.setdefault(operation["summary"], []).append(f"{method.upper()} {path}")
    assert {s: where for s, where in summaries.items() if len(where) > 1} == {}


def test_every_operation_documents_its_errors(schema):
    for path, method, operation in operations(schema):
        responses = operation["responses"]
        expected = (
            {"400"} | ({"404"} if "{" in path else set()) | ({"413"} if method in ("post", "put", "patch") else set())
        )
        if operation.get("security") and operation["security"] != [{}]:
            expected.add("401")
        assert expected <= set(responses), f"{method.upper()} {path}: {sorted(responses)}"
        for code, response in responses.items():
            if code.startswith("4"):
                media = response["content"]["application/json"]
                assert media["schema"] == {"$ref": "#/components/schemas/Error"}, (path, code)
                assert media["example"]["detail"], (path, code)


def openapi_to_jsonschema(node):
    """OpenAPI 3.0's `nullable` as JSON Schema's type list, recursively."""
    if isinstance(node, dict):
        node = {k: openapi_to_jsonschema(v) for k, v in node.items()}
        if node.pop("nullable", False):
            if "type" in node:
                node["type"] = [node["type"], "null"]
            elif "$ref" in node or "allOf" in node or "oneOf" in node:
                node = {"anyOf": [dict(node), {"type": "null"}]}
            if "enum" in node and None not in node["enum"]:
                node["enum"] = [*node["enum"], None]
        return node
    if isinstance(node, list):
        return [openapi_to_jsonschema(v) for v in node]
    return node


def test_every_body_has_an_example_its_schema_accepts(schema):
    components = openapi_to_jsonschema(copy.deepcopy(schema["components"]))
    checked = 0
    for path, method, operation in operations(schema):
        bodies = [("request", operation.get("requestBody", {}).get("content", {}))]
        bodies += [(code, r.get("content", {})) for code, r in operation["responses"].items()]
        for where, content in bodies:
            for media_type, media in content.items():
                if media_type not in ("application/json", "multipart/form-data"):
                    continue
                # One example, or named examples (each checked).
                examples = [media["example"]] if "example" in media else []
                examples += [named["value"] for named in media.get("examples", {}).values()]
                assert examples, f"{method.upper()} {path} {where} {media_type} has no example"
                if media_type == "application/json":
                    node = {**openapi_to_jsonschema(media["schema"]), "components": components}
                    for example in examples:
                        jsonschema.validate(example, node)
                        checked += 1
    assert checked > 150


PAGED = [
    "/api/v1/countries/",
    "/api/v1/countries/{code}/organisations/",
    "/api/v1/countries/{code}/members/",
    "/api/v1/countries/{code}/engagements/",
    "/api/v1/countries/{code}/policies/",
    "/api/v1/countries/{code}/assessments/",
    "/api/v1/countries/{code}/incidents/",
    "/api/v1/countries/{code}/deployment-requests/",
    "/api/v1/countries/{code}/deployment-requests/{id}/messages/",
    "/api/v1/countries/{code}/engagements/{id}/messages/",
    "/api/v1/countries/{code}/environments/",
    "/api/v1/countries/{code}/training/enrolments/",
    "/api/v1/countries/{code}/audit-events/",
    "/api/v1/countries/{code}/audit-events/checkpoints/",
    "/api/v1/countries/{code}/compliance-reports/",
    "/api/v1/review-queue/",
    "/api/v1/review-queue/deployments/",
]


def test_paged_lists_are_documented_as_pages_with_their_parameters(schema):
    for path in PAGED:
        operation = schema["paths"][path]["get"]
        ref = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
        page = schema["components"]["schemas"][ref.rsplit("/", 1)[1]]
        assert set(page["properties"]) == {"next", "previous", "results"}, path
        parameters = {p["name"]: p["schema"] for p in operation["parameters"] if p["in"] == "query"}
        assert parameters["page_size"]["maximum"] == 200 and parameters["page_size"]["minimum"] == 1, path
        assert "cursor" in parameters, path
    # and every other list is documented as a bare list
    for path, method, operation in operations(schema):
        if method == "get" and path not in PAGED:
            body = operation["responses"].get("200", {}).get("content", {}).get("application/json", {})
            ref = body.get("schema", {}).get("$ref", "")
            assert "Paginated" not in ref, path


def test_created_objects_link_to_what_can_be_done_next(schema):
    created = schema["paths"]["/api/v1/countries/{code}/deployment-requests/"]["post"]["responses"]["201"]
    links = created["links"]
    assert {"deployment_requests_retrieve", "deployment_requests_submit", "deployment_requests_approve"} <= set(links)
    assert links["deployment_requests_submit"]["parameters"] == {
        "id": "$response.body#/id",
        "code": "$request.path.code",
    }
    linked = [
        path
        for path, method, op in operations(schema)
        if method == "post" and any("links" in r for r in op["responses"].values())
    ]
    assert len(linked) >= 8, linked


@pytest.mark.django_db
def test_audit_events_accept_the_page_size_the_schema_advertises(cast):
    client = APIClient()
    raw, _ = api_token_issue(user=cast.auditor)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    for size in (1, 50, 200):
        response = client.get("/api/v1/countries/FR/audit-events/", {"page_size": size})
        assert response.status_code == 200, response.content
    for size in (0, 201, "ten"):
        response = client.get("/api/v1/countries/FR/audit-events/", {"page_size": size})
        assert response.status_code == 400 and "page_size" in response.json()["errors"], response.content
