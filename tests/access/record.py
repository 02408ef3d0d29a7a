"""Draft entries for routes that have none: what each visitor gets today, as lines to review and paste
into tests/access/routes_<app>.py. Run by name only (it is not collected with the suite):

    .venv/bin/python -m pytest -q -p no:cacheprovider tests/access/record.py   # prints where it wrote access-drafts.txt

A draft records today's behaviour, right or wrong: read every line before pasting it, and correct
the answers that are not what the product promises (then the matrix fails until the code agrees)."""

from __future__ import annotations

import re

from tests.access.matrix import GET, Route, answer, body_problems, routes_found, tables, url_for
from tests.access.world import VISITORS

# The kind of object a path names, by the words before its first <pk>/<id> (first match wins).
KINDS = [
    (r"engagements?/<", "engagement"),
    (r"incidents/<", "incident"),
    (r"assessments/<", "assessment"),
    (r"policies/<", "policy"),
    (r"organisations/<", "organisation"),
    (r"members/<", "member"),
    (r"enrolments/<", "enrolment"),
    (r"training/certificates/<", "certificate"),
    (r"(start-review|request-changes|approve|reject)/$", "request_submitted"),
    (r"(suspend|decommission)/$", "request_active"),
    (r"deployment-requests/<|deployments/<int", "request_draft"),
    (r"environments/<", "environment"),
    (r"^register/<str:code>/<", "register_published"),
    (r"register/new/<", "request_active"),
    (r"register/(eu/)?<", "register_entry"),
]
ARGS = {"action": "submit", "number": "@policy_version", "index": 1}


def _guess(found) -> Route:
    obj = None
    if {"pk", "id"} & set(found.params):
        for pattern, kind in KINDS:
            if re.search(pattern, found.path):
                obj = kind
                break
    args = {k: v for k, v in ARGS.items() if k in found.params}
    if "register/<str:code>/<int:pk>/versions" in found.path:
        args["number"] = "@register_version"
    for param in found.params:
        if param not in {"code", "pk", "id"} and param not in args:
            args[param] = "?"
    if obj is None and {"pk", "id"} & set(found.params):
        args.update({p: 999999 for p in ("pk", "id") if p in found.params})
    return GET("x " * len(VISITORS), obj=obj, args=args)


def test_record_tables(world, clients, artefacts):
    have = tables()
    lines: dict[str, list[str]] = {}
    for name, found in routes_found().items():
        if name in have:
            continue
        route = _guess(found)
        url = url_for(name, route, world) if "?" not in route.args.values() else None
        if url is None:
            lines.setdefault(found.app, []).append(f"    # {name!r}: no URL ({found.path}, {route.args})")
            continue
        method = "GET"
        words, shows = [], True
        for visitor in VISITORS:
            word, response = answer(clients[visitor], method, url, None)
            if visitor == "platform" and word == "405" or (words and words[-1] == "405" and word == "405"):
                pass
            words.append(word)
        if "405" in words:
            method, words = "POST", [answer(clients[v], "POST", url, None)[0] for v in VISITORS]
        for visitor, word in zip(VISITORS, words):
            if word == "200" and route.obj:
                _, response = answer(clients[visitor], method, url, None)
                if any(
                    "does not show" in p for p in body_problems(response, visitor=visitor, route=route, world=world)
                ):
                    shows = False
        extra = ""
        if route.obj:
            extra += f", obj={route.obj!r}"
        if route.args:
            extra += f", args={route.args!r}"
        if not shows:
            extra += ", shows=False"
        table = " ".join(f"{w:>4}" if len(w) < 5 else w for w in words)
        key = repr(name) + ":"
        lines.setdefault(found.app, []).append(f'    {key:<48} {method}("{table}"{extra}),')
    out = []
    for app, app_lines in sorted(lines.items()):
        out += [f"# ---- routes_{app}.py", *app_lines, ""]
    drafts = artefacts / "access-drafts.txt"
    drafts.write_text("\n".join(out))
    print(f"drafts written to {drafts}")
