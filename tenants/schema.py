"""What the OpenAPI schema promises about every operation, whoever wrote the view: a summary, the
errors it may answer, an example of each body, and the links from a created object to what can be
done with it next. Named in settings: REST_FRAMEWORK["DEFAULT_SCHEMA_CLASS"] and
SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"]. A new endpoint gets all of this by itself; it only
has to say what is particular to it (see docs/architecture.md, "An endpoint")."""

from __future__ import annotations

import copy
import re
from typing import Any

from drf_spectacular.openapi import AutoSchema

ERROR_REF = {"$ref": "#/components/schemas/Error"}
JSON = "application/json"
BODY_METHODS = {"post", "put", "patch"}

# Every operation may answer these, whatever it declares: the input guard refuses text that cannot
# be stored in any query string or body (400); a path names no object among those visible (404); a
# body past DATA_UPLOAD_MAX_MEMORY_SIZE is not read (413, on the methods that send one).
ERROR_DESCRIPTIONS = {
    "400": "The input is not valid, or a rule refused the change; nothing was changed.",
    "413": "The request body is larger than the portal reads; nothing was changed.",
    "401": "Not signed in, or the bearer token is unknown, expired or revoked.",
    "403": "Signed in, but this role may not make this change.",
    "404": "No such object among those you can see.",
}
ERROR_EXAMPLES = {
    "400": {"detail": "title: This field is required.", "errors": {"title": ["This field is required."]}},
    "401": {
        "detail": "Sign in first: send 'Authorization: Bearer <token>' (get a token at POST /api/v1/auth/token/) "
        "or use a signed-in browser session."
    },
    "403": {"detail": "Only a country admin of France can do this."},
    "404": {"detail": "Not found: France has no deployment request 7."},
    "413": {"detail": "The request body is too large: at most 2621440 bytes."},
    "429": {"detail": "Request was throttled. Expected available in 42 seconds."},
}


class PortalAutoSchema(AutoSchema):
    """drf-spectacular's AutoSchema, with a summary for every operation: the one given to
    extend_schema, otherwise the first sentence of its description or of the view's docstring."""

    def get_summary(self) -> str | None:
        explicit = super().get_summary()
        if explicit:
            return explicit
        return first_sentence(self.get_description() or "") or None


def first_sentence(text: str) -> str:
    text = " ".join(text.split())
    match = re.match(r"(.+?)(?:[.:;](?:\s|$)|$)", text)
    sentence = match.group(1).strip() if match else ""
    return sentence if len(sentence) <= 120 else sentence[:117].rsplit(" ", 1)[0] + "…"


# --- Examples, built from the schema itself ------------------------------------------------------

SAMPLES: dict[str, Any] = {
    "code": "FR",
    "state": "submitted",
    "status": "active",
    "sector": "public_services",
    "sectors": "public_services",
    "region": "eu-west",
    "residency_region": "eu-west",
    "data_classification": "internal",
    "risk_category": "limited",
    "category": "limited",
    "capabilities": "text",
    "regions": "eu-west",
    "provider": "Aurora Labs",
    "role": "officer",
    "actor_role": "partner_manager",
    "your_role": "officer",
    "by_role": "partner_manager",
    "language": "en",
    "default_language": "fr",
    "kind": "ministry",
    "backend": "local",
    "chain": "FR",
    "target_type": "deploymentrequest",
    "target_id": "7",
    "amendment": "",
    "economic_model": "grant",
    "severity": "major",
    "use_reference": "TAX-ASSIST-1",
    "deployment_reference": "DEP-7",
    "steps_taken": "Stopped the feature and told the people affected.",
    "obligations": "human oversight",
    "roles": "officer",
    "default_roles": "officer",
    "step": "Exporting the ledger",
    "step_code": "export.ledger",
    "state_label": "Ready",
    "requested_role": "auditor",
    "label": "Create the environment",
    "reason": "The active engagement (terms version 1) covers this use.",
    "problems": "event 12: its content does not match its hash (edited)",
    "key_id": "41ab795c8406643a",
    "signature": "q0aXQ1c3lzdGVtIGNoZWNrcG9pbnQgc2lnbmF0dXJlIGV4YW1wbGU=",
    "note": "Covered by the ministry's records policy.",
    "origin": "template",
    "source": "self",
    "country": "FR",
    "name": "Ministère du Numérique",
    "title": "Assistant for tax forms",
    "summary": "How the ministry uses generative AI, and its limits.",
    "purpose": "Help people fill in their tax forms, with staff review of every answer.",
    "description": "A model answer quoted a person's file to someone else.",
    "comment": "Approved for a six-month pilot.",
    "conditions": "Staff review every answer before it is sent.",
    "username": "olivier",
    "first_name": "Olivier",
    "last_name": "Martin",
    "email": "olivier@example.org",
    "job_title": "Head of digital services",
    "acronym": "DINUM",
    "slug": "ai-literacy",
    "programme": "ai-literacy",
    "template": "generative-ai-acceptable-use",
    "model": "aurora-large",
    "action": "deployment.approved",
    "actor_label": "priya",
    "token": "pat_3q2nJ7xYk0eZ1v8RfWmA4sTb6uPo9LcH",
    "secret": "sk-local-5f2c9a1b7d3e4f60",
    "prefix": "sk-local-5f2",
    "credential_prefix": "sk-local-5f2",
    "endpoint": "https://gateway.example.org/v1/environments/12",
    "password": "correct-horse-battery-staple",
    "reference": "Art. 9",
    "text": "Staff use generative AI only for drafts that a person checks before use.",
    "body": "## What a model is\nA model predicts text from examples.",
    "question": "Who checks a draft before it is sent?",
    "file_name": "fr-compliance-2026-01.zip",
    "download_url": "https://portal.example.org/api/v1/countries/FR/compliance-reports/3/download/",
}
HEX64 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"


def example_of(schema: dict, components: dict, name: str = "", depth: int = 0) -> Any:
    """A value that satisfies `schema` (as far as a sample can), with plausible values by field name."""
    if depth > 8:
        return None
    if "$ref" in schema:
        return example_of(components[schema["$ref"].rsplit("/", 1)[1]], components, name, depth + 1)
    if "example" in schema:
        return schema["example"]
    for key in ("allOf", "oneOf", "anyOf"):
        if schema.get(key):
            return example_of(schema[key][0], components, name, depth + 1)
    if schema.get("enum"):
        return next((value for value in schema["enum"] if value not in (None, "")), schema["enum"][0])
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        value = {
            key: example_of(inner, components, key, depth + 1)
            for key, inner in schema.get("properties", {}).items()
            if not inner.get("writeOnly") or key in schema.get("required", ())
        }
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict) and not value:
            value = {"field": example_of(extra, components, "", depth + 1)}
        return value
    if kind == "array":
        item = example_of(schema.get("items", {}), components, name, depth + 1)
        return [item] * max(1, schema.get("minItems", 1))
    if kind == "integer":
        low, high = schema.get("minimum", 1), schema.get("maximum", 2**63 - 1)
        sample = 3 if name in ("id", "version", "number", "sequence", "round", "review_round") else 1
        return min(max(sample, low), high)
    if kind == "number":
        return max(1.0, schema.get("minimum", 1.0))
    if kind == "boolean":
        return True
    if kind == "string":
        return _string_example(schema, name)
    return None


def _string_example(schema: dict, name: str) -> str:
    fmt = schema.get("format")
    if fmt == "date-time":
        return "2026-03-02T09:30:00Z"
    if fmt == "date":
        return "2026-03-02"
    if fmt == "email":
        return "olivier@example.org"
    if fmt in ("uri", "url"):
        return "https://portal.example.org/"
    if name.endswith("hash") or name == "sha256":
        return HEX64
    if name in SAMPLES and isinstance(SAMPLES[name], str):
        value = SAMPLES[name]
    elif "pattern" in schema:
        value = "gdpr-5" if name else "value"
    else:
        value = name.replace("_", " ").capitalize() if name else "text"
    if len(value) > schema.get("maxLength", 10**9):
        value = value[: schema["maxLength"]]
    return value.ljust(schema.get("minLength", 0), "x")


# --- The hook ------------------------------------------------------------------------------------


def postprocess(result: dict, generator, request, public) -> dict:
    components = result.get("components", {}).setdefault("schemas", {})
    for path, item in result.get("paths", {}).items():
        for method, operation in item.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            _document_errors(
                operation,
                path,
                secured=operation.get("security") != [{}] and bool(operation.get("security")),
                body=method in BODY_METHODS,
            )
            _add_examples(operation, components)
    _add_links(result)
    return result


def _document_errors(operation: dict, path: str, *, secured: bool, body: bool) -> None:
    responses = operation.setdefault("responses", {})
    needed = ["400"] + (["401"] if secured else []) + (["404"] if "{" in path else []) + (["413"] if body else [])
    for code in needed:
        responses.setdefault(code, {"description": ERROR_DESCRIPTIONS[code], "content": {JSON: {"schema": ERROR_REF}}})
    for code, response in responses.items():
        media = response.get("content", {}).get(JSON)
        if code in ERROR_EXAMPLES and media is not None and "example" not in media and media.get("schema") == ERROR_REF:
            media["example"] = ERROR_EXAMPLES[code]


def _add_examples(operation: dict, components: dict) -> None:
    bodies = [operation.get("requestBody", {}).get("content", {})]
    bodies += [response.get("content", {}) for response in operation.get("responses", {}).values()]
    for content in bodies:
        for media_type, media in content.items():
            if "schema" not in media or "example" in media or "examples" in media:
                continue
            if media_type in (JSON, "application/x-www-form-urlencoded", "multipart/form-data"):
                value = example_of(media["schema"], components)
                if value is not None:
                    media["example"] = value


def _add_links(result: dict) -> None:
    """From an operation that creates an object (its answer carries the object's `id`), an OpenAPI
    link to every operation on that object (the paths below it that take {id}): create → read → act."""
    paths = result.get("paths", {})
    components = result.get("components", {}).get("schemas", {})
    for path, item in paths.items():
        create = item.get("post")
        if create is None:
            continue
        for code in ("201", "202", "200"):
            response = create.get("responses", {}).get(code)
            schema = (response or {}).get("content", {}).get(JSON, {}).get("schema")
            if schema is None:
                continue
            resolved = components.get(schema.get("$ref", "").rsplit("/", 1)[-1], schema)
            if "id" not in resolved.get("properties", {}):
                continue
            links = {}
            for target_path, target in paths.items():
                if not target_path.startswith(path + "{id}/"):
                    continue
                for method, target_operation in target.items():
                    if method not in {"get", "post", "put", "patch", "delete"}:
                        continue
                    parameters = {"id": "$response.body#/id"}
                    names = {p["name"] for p in target_operation.get("parameters", []) if p.get("in") == "path"}
                    known = {p["name"] for p in create.get("parameters", []) if p.get("in") == "path"}
                    if names - {"id"} - known:
                        continue  # it names something else too (an attachment of the object): no link can fill it
                    for name in names - {"id"}:
                        parameters[name] = f"$request.path.{name}"
                    links[target_operation["operationId"]] = {
                        "operationId": target_operation["operationId"],
                        "parameters": parameters,
                        "description": f"{target_operation.get('summary', method.upper())}, on the object just created.",
                    }
            if links:
                response["links"] = copy.deepcopy(links)
            break
