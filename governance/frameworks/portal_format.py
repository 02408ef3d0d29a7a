"""The portal's own framework format, `format: portal-framework/1` (docs/frameworks.md): its JSON
Schema, and the checks a schema cannot make (duplicate ids, parents and mapping sources that name
nothing, a parent written after its child)."""

from __future__ import annotations

import hashlib
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from .reading import Located, Problem
from .schema_problems import check
from .spec import RELATIONSHIPS, FrameworkSpec, MappingSpec, RequirementRef, RequirementSpec

FORMAT = "portal-framework/1"
SLUG = r"^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$"
CODE = r"^[a-z0-9](?:[a-z0-9_-]{0,98}[a-z0-9])?$"
LANGUAGE = r"^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$"
URL = r"^https?://[^\s]+$"

_text = {"type": "string"}
REFERENCE = {
    "type": "object",
    "required": ["document"],
    "additionalProperties": False,
    "properties": {
        "document": {"type": "string", "minLength": 1, "maxLength": 300},
        "locator": {"type": "string", "maxLength": 200},
        "url": {"type": "string", "pattern": URL, "maxLength": 500},
    },
}
SCHEMA = {
    "type": "object",
    "required": ["format", "framework", "requirements"],
    "additionalProperties": False,
    "properties": {
        "format": {"const": FORMAT},
        "framework": {
            "type": "object",
            "required": ["slug", "name", "version"],
            "additionalProperties": False,
            "properties": {
                "slug": {"type": "string", "pattern": SLUG},
                "name": {"type": "string", "minLength": 1, "maxLength": 200, "pattern": r"\S"},
                "version": {"type": "integer", "minimum": 1, "maximum": 100000},
                "summary": {"type": "string", "maxLength": 400},
                "description": {"type": "string", "maxLength": 20000},
                "language": {"type": "string", "pattern": LANGUAGE},
                "publisher": {"type": "string", "maxLength": 200},
                "urn": {"type": "string", "maxLength": 255},
                "source": {
                    "type": "object",
                    "required": ["title"],
                    "additionalProperties": False,
                    "properties": {
                        "title": {"type": "string", "minLength": 1, "maxLength": 300},
                        "url": {"type": "string", "pattern": URL, "maxLength": 500},
                    },
                },
            },
        },
        "requirements": {
            "type": "array",
            "minItems": 1,
            "maxItems": 10000,
            "items": {
                "type": "object",
                "required": ["id", "title"],
                "additionalProperties": False,
                "properties": {
                    "id": {"type": "string", "pattern": CODE},
                    "parent": {"type": "string", "pattern": CODE},
                    "title": {"type": "string", "minLength": 1, "maxLength": 500, "pattern": r"\S"},
                    "reference": {"type": "string", "maxLength": 200},
                    "description": {"type": "string", "maxLength": 20000},
                    "assessable": {"type": "boolean"},
                    "urn": {"type": "string", "maxLength": 255},
                    "references": {"type": "array", "maxItems": 50, "items": REFERENCE},
                },
            },
        },
        "mappings": {
            "type": "array",
            "maxItems": 20000,
            "items": {
                "type": "object",
                "required": ["from", "to", "relationship"],
                "additionalProperties": False,
                "properties": {
                    "from": {"type": "string", "pattern": CODE},
                    "to": {"type": "string", "pattern": SLUG[:-1] + ":" + CODE[1:]},
                    "relationship": {"enum": list(RELATIONSHIPS)},
                    "note": {"type": "string", "maxLength": 500},
                },
            },
        },
    },
}
HINTS = {
    "slug": gettext_noop("use up to 40 lowercase letters, digits and hyphens, e.g. gdpr or national-ai-law."),
    "id": gettext_noop("use lowercase letters, digits, hyphens and underscores (up to 100), e.g. art-5 or gdpr-1."),
    "parent": gettext_noop("name the id of another requirement of this file."),
    "from": gettext_noop("name the id of a requirement of this file."),
    "to": gettext_noop("name a requirement of another framework as slug:id, e.g. gdpr:gdpr-12."),
    "name": gettext_noop("write the framework's name."),
    "title": gettext_noop("write the requirement's title."),
    "language": gettext_noop("use a language tag such as en, fr or pt-BR."),
    "url": gettext_noop("use a full web address starting with https://."),
}


def is_portal_format(document: Any) -> bool:
    return isinstance(document, dict) and str(document.get("format", "")).startswith("portal-framework")


def parse(document: Located, *, sha256: str, origin: str = "imported") -> tuple[FrameworkSpec | None, list[Problem]]:
    """The framework in a portal-format document, or the problems that stop it."""
    problems = check(document, SCHEMA, {k: _(v) for k, v in HINTS.items()})
    if problems:
        return None, problems
    meta = document["framework"]
    source = meta.get("source") or {}
    requirements: list[RequirementSpec] = []
    seen: dict[str, int] = {}
    items = document["requirements"]
    for index, item in enumerate(items):
        line = items.line_of(index)
        code = item["id"]
        if code in seen:
            problems.append(
                Problem(
                    item.line_of("id"),
                    _("The id “%(id)s” is used twice (first on line %(first)s): ids are unique in a framework.")
                    % {"id": code, "first": seen[code]},
                )
            )
            continue
        parent = item.get("parent", "")
        depth = 1
        if parent:
            if parent == code:
                problems.append(Problem(item.line_of("parent"), _("A requirement cannot be its own parent.")))
            elif parent not in seen:
                known = any(other.get("id") == parent for other in items)
                problems.append(
                    Problem(
                        item.line_of("parent"),
                        _(
                            "The parent “%(parent)s” is written after this requirement: list a parent before its children."
                        )
                        % {"parent": parent}
                        if known
                        else _("The parent “%(parent)s” is not an id of this file.") % {"parent": parent},
                    )
                )
            else:
                depth = next(r.depth for r in requirements if r.code == parent) + 1
        seen[code] = item.line_of("id")
        requirements.append(
            RequirementSpec(
                code=code,
                title=item["title"].strip(),
                line=line,
                reference=item.get("reference", "").strip(),
                description=item.get("description", "").strip(),
                assessable=item.get("assessable", True),
                parent=parent,
                depth=depth,
                references=[dict(r) for r in item.get("references", [])],
                urn=item.get("urn", ""),
            )
        )
    mappings: list[MappingSpec] = []
    pairs: dict[tuple[str, str], int] = {}
    listed = document.get("mappings") or []
    for index, item in enumerate(listed):
        line = listed.line_of(index)
        if item["from"] not in seen:
            problems.append(
                Problem(item.line_of("from"), _("“%(id)s” is not an id of this file.") % {"id": item["from"]})
            )
            continue
        slug, _sep, code = item["to"].partition(":")
        if slug == meta["slug"]:
            problems.append(
                Problem(
                    item.line_of("to"),
                    _("A mapping links two different frameworks; this one names the same framework."),
                )
            )
            continue
        key = (item["from"], item["to"])
        if key in pairs:
            problems.append(Problem(line, _("This mapping repeats the one on line %(first)s.") % {"first": pairs[key]}))
            continue
        pairs[key] = line
        mappings.append(
            MappingSpec(
                source=RequirementRef(slug=meta["slug"], code=item["from"]),
                target=RequirementRef(slug=slug, code=code),
                relationship=item["relationship"],
                line=line,
                note=item.get("note", "").strip(),
            )
        )
    if problems:
        return None, problems
    return (
        FrameworkSpec(
            slug=meta["slug"],
            name=meta["name"].strip(),
            version=meta["version"],
            line=meta.line_of("version"),
            requirements=requirements,
            origin=origin,
            summary=meta.get("summary", "").strip(),
            description=meta.get("description", "").strip(),
            language=meta.get("language", "en"),
            publisher=meta.get("publisher", "").strip(),
            source_title=source.get("title", "").strip(),
            source_url=source.get("url", ""),
            urn=meta.get("urn", ""),
            mappings=mappings,
            sha256=sha256,
        ),
        [],
    )


def sha256_of(data: bytes | str) -> str:
    return hashlib.sha256(data.encode() if isinstance(data, str) else data).hexdigest()
