"""CISO Assistant's library format (intuitem/ciso-assistant-community, backend/library/libraries/
*.yaml), read into the portal's frameworks, so that a country holding such a file can load any
framework of that project.

What is taken: the library's metadata (urn, version, locale, provider, name, description), each
framework under `objects.framework` (or the list `objects.frameworks`) with its
`requirement_nodes` (urn, parent_urn, ref_id, name, description, assessable), and the mappings of
`objects.requirement_mapping_set(s)` (relationships equal, subset, superset and intersect;
not_related is skipped). Reference controls, threats, risk matrices, scores, questions and
translations are not part of a framework here and are left out. Slugs are `ciso-` and the last
part of the framework's urn; requirement codes come from each node's ref_id (or urn)."""

from __future__ import annotations

import re

from django.utils.translation import gettext as _

from .reading import Located, Problem
from .schema_problems import check
from .spec import RELATIONSHIPS, FileSpec, FrameworkSpec, MappingSpec, RequirementRef, RequirementSpec

_urn = {"type": "string", "minLength": 1, "maxLength": 255}
_optional_text = {"type": ["string", "null"]}
NODE = {
    "type": "object",
    "required": ["urn", "assessable"],
    "properties": {
        "urn": _urn,
        "parent_urn": _urn,
        "assessable": {"type": "boolean"},
        "depth": {"type": "integer"},
        "ref_id": {"type": ["string", "integer", "number", "null"]},
        "name": _optional_text,
        "description": _optional_text,
    },
}
FRAMEWORK = {
    "type": "object",
    "required": ["urn", "name", "requirement_nodes"],
    "properties": {
        "urn": _urn,
        "ref_id": {"type": ["string", "integer", "number", "null"]},
        "name": {"type": "string", "minLength": 1},
        "description": _optional_text,
        "requirement_nodes": {"type": "array", "minItems": 1, "maxItems": 20000, "items": NODE},
    },
}
MAPPING_SET = {
    "type": "object",
    "required": ["source_framework_urn", "target_framework_urn", "requirement_mappings"],
    "properties": {
        "source_framework_urn": _urn,
        "target_framework_urn": _urn,
        "requirement_mappings": {
            "type": "array",
            "maxItems": 50000,
            "items": {
                "type": "object",
                "required": ["source_requirement_urn", "target_requirement_urn", "relationship"],
                "properties": {
                    "source_requirement_urn": _urn,
                    "target_requirement_urn": _urn,
                    "relationship": {"enum": [*RELATIONSHIPS, "not_related"]},
                    "rationale": _optional_text,
                    "annotation": _optional_text,
                },
            },
        },
    },
}
SCHEMA = {
    "type": "object",
    "required": ["urn", "name", "objects"],
    "properties": {
        "urn": _urn,
        "name": {"type": "string", "minLength": 1},
        "version": {"type": "integer", "minimum": 1, "maximum": 100000},
        "locale": {"type": "string", "maxLength": 12},
        "provider": _optional_text,
        "description": _optional_text,
        "objects": {
            "type": "object",
            "properties": {
                "framework": FRAMEWORK,
                "frameworks": {"type": "array", "items": FRAMEWORK},
                "requirement_mapping_set": MAPPING_SET,
                "requirement_mapping_sets": {"type": "array", "items": MAPPING_SET},
            },
        },
    },
}


def is_ciso_library(document) -> bool:
    return isinstance(document, dict) and "objects" in document and "urn" in document


def slugify(value: str, limit: int) -> str:
    text = re.sub(r"[^a-z0-9_]+", "-", str(value).lower()).strip("-_")
    return re.sub(r"-{2,}", "-", text)[:limit].strip("-_")


def _tail(urn: str) -> str:
    return urn.rsplit(":", 1)[-1]


def _text(value) -> str:
    return "" if value is None else str(value).strip()


def _cut(value: str, limit: int) -> str:
    return value if len(value) <= limit else value[: limit - 1].rstrip() + "…"


def parse(document: Located, *, name: str, sha256: str) -> tuple[FileSpec | None, list[Problem]]:
    problems = check(document, SCHEMA)
    if problems:
        return None, problems
    objects = document["objects"]
    listed = []
    if "framework" in objects:
        listed.append(objects["framework"])
    listed.extend(objects.get("frameworks") or [])
    sets = ([objects["requirement_mapping_set"]] if "requirement_mapping_set" in objects else []) + list(
        objects.get("requirement_mapping_sets") or []
    )
    if not listed and not sets:
        return None, [
            Problem(
                document.line_of("objects"),
                _("This library holds no framework and no requirement mappings: there is nothing to load."),
            )
        ]
    result = FileSpec(name=name)
    for framework in listed:
        spec, found = _framework(document, framework, sha256)
        problems += found
        if spec is not None:
            result.frameworks.append(spec)
    for mapping_set in sets:
        items = mapping_set["requirement_mappings"]
        for index, item in enumerate(items):
            if item["relationship"] == "not_related":
                continue
            result.mappings.append(
                MappingSpec(
                    source=RequirementRef(urn=item["source_requirement_urn"]),
                    target=RequirementRef(urn=item["target_requirement_urn"]),
                    relationship=item["relationship"],
                    line=items.line_of(index),
                    note=_cut(_text(item.get("rationale")) or _text(item.get("annotation")), 500),
                )
            )
    return (None, problems) if problems else (result, [])


def _framework(library: Located, framework: Located, sha256: str) -> tuple[FrameworkSpec | None, list[Problem]]:
    problems: list[Problem] = []
    nodes = framework["requirement_nodes"]
    by_urn: dict[str, Located] = {}
    for node in nodes:
        if node["urn"] in by_urn:
            problems.append(
                Problem(
                    node.line_of("urn"),
                    _("The urn “%(urn)s” is used twice (first on line %(first)s).")
                    % {"urn": node["urn"][:120], "first": by_urn[node["urn"]].line_of("urn")},
                )
            )
        else:
            by_urn[node["urn"]] = node
    for node in nodes:
        parent = node.get("parent_urn")
        if parent and parent not in by_urn:
            problems.append(
                Problem(
                    node.line_of("parent_urn"),
                    _("The parent_urn “%(urn)s” names no node of this framework.") % {"urn": parent[:120]},
                )
            )
    if problems:
        return None, problems
    depths: dict[str, int] = {}
    for node in nodes:
        chain, current = [], node
        while current is not None and current["urn"] not in depths:
            if current["urn"] in chain:
                return None, [
                    Problem(node.line_of("parent_urn"), _("These nodes are each other's parents: the tree has a loop."))
                ]
            chain.append(current["urn"])
            current = by_urn.get(current.get("parent_urn") or "")
        base = depths[current["urn"]] if current is not None else 0
        for offset, urn in enumerate(reversed(chain), start=1):
            depths[urn] = base + offset
    codes: dict[str, str] = {}
    used: set[str] = set()
    for node in nodes:
        code = slugify(_text(node.get("ref_id")) or _tail(node["urn"]), 90) or "requirement"
        candidate, n = code, 2
        while candidate in used:
            candidate, n = f"{code}-{n}", n + 1
        used.add(candidate)
        codes[node["urn"]] = candidate
    requirements = []
    for node in nodes:
        ref_id, title = _text(node.get("ref_id")), _text(node.get("name"))
        description = _text(node.get("description"))
        requirements.append(
            RequirementSpec(
                code=codes[node["urn"]],
                title=_cut(title or ref_id or description or _tail(node["urn"]), 500),
                line=node.line,
                reference=_cut(ref_id, 200),
                description=description if (title or ref_id) else "",
                assessable=node["assessable"],
                parent=codes.get(node.get("parent_urn") or "", ""),
                depth=depths[node["urn"]],
                urn=node["urn"],
            )
        )
    slug = ("ciso-" + slugify(_tail(framework["urn"]).replace("_", "-"), 35)).strip("-")
    return (
        FrameworkSpec(
            slug=slug,
            name=_cut(_text(framework["name"]), 200),
            version=library.get("version", 1),
            line=library.line_of("version") if "version" in library else library.line,
            requirements=requirements,
            origin="ciso_assistant",
            summary=_cut(_text(library.get("description")) or _text(framework.get("description")), 400),
            description=_text(framework.get("description")),
            language=_text(library.get("locale")) or "en",
            publisher=_cut(_text(library.get("provider")), 200),
            source_title=_cut(_text(library.get("name")), 300),
            urn=framework["urn"],
            sha256=sha256,
        ),
        [],
    )
