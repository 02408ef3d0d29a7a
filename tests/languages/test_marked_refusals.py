"""Every message the code gives a refusal is marked for translation where it is written: the text
of each ValidationError, API exception and service refusal, and of each form's or serializer's
error_messages. Read from the source, so that a refusal the pages' and the API's pseudo-language
runs never provoke (a combination of filters, a rare state) is held too.

Left out: Http404 and Django's PermissionDenied, whose messages nobody reads: the portal's 404 and
403 pages and API answers say their own words (portal.views.not_found, forbidden), a test below
holds that."""

from __future__ import annotations

import ast
from pathlib import Path

from django.test import Client

ROOT = Path(__file__).resolve().parent.parent.parent
APPS = ("tenants", "governance", "engagements", "deployments", "training", "portal")
MARKING = {"_", "gettext", "gettext_lazy", "pgettext", "pgettext_lazy", "ngettext", "ngettext_lazy", "format_lazy"}
UNREAD = {("django.http", "Http404"), ("django.core.exceptions", "PermissionDenied")}
# The exceptions whose message a person reads: by the name they are raised under.
READ = {
    "ValidationError",
    "ServiceError",
    "NotAllowed",
    "ExitRefused",
    "RosterRefused",
    "ExportRefused",
    "AnswerError",
    "FileUnreadable",
    "FrameworkFileError",
    "CountryReadOnly",
    "SecondFactorWrong",
    "PermissionDenied",
    "NotFound",
    "ParseError",
    "AuthenticationFailed",
    "Throttled",
}


def _name(func: ast.expr) -> str | None:
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)


def _unmarked(node: ast.expr):
    """The string literals of `node` that no marking call wraps."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str) and any(c.isalpha() for c in node.value):
        yield node
    elif isinstance(node, ast.JoinedStr):
        yield node
    elif isinstance(node, ast.Call):
        if _name(node.func) in MARKING:
            return
        if isinstance(node.func, ast.Attribute) and node.func.attr in ("format", "join"):
            yield from _unmarked(node.func.value)
    elif isinstance(node, ast.Dict):
        for value in node.values:
            yield from _unmarked(value)
    elif isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        for value in node.elts:
            yield from _unmarked(value)
    elif isinstance(node, ast.BinOp):
        yield from _unmarked(node.left)
        yield from _unmarked(node.right)


def _imported(tree: ast.Module) -> dict[str, tuple[str, str]]:
    """Local name → (module, name) of each `from module import name`."""
    found = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                found[alias.asname or alias.name] = (node.module, alias.name)
    return found


def unmarked_refusals(source: str, where: str) -> list[str]:
    tree = ast.parse(source)
    imported = _imported(tree)
    found = []
    for node in ast.walk(tree):
        texts: list[ast.expr] = []
        if isinstance(node, ast.Call) and _name(node.func) in READ:
            if isinstance(node.func, ast.Name) and imported.get(node.func.id) in UNREAD:
                continue
            texts = node.args[:1] + [k.value for k in node.keywords if k.arg in ("message", "detail")]
        elif isinstance(node, ast.keyword) and node.arg == "error_messages":
            texts = [node.value]
        for text in texts:
            found += [f"{where}:{s.lineno}: {ast.unparse(s)[:100]}" for s in _unmarked(text)]
    return found


def test_every_refusal_message_is_marked_for_translation():
    found, files = [], 0
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            files += 1
            found += unmarked_refusals(path.read_text(), str(path.relative_to(ROOT)))
    assert files > 150
    assert not found, "Mark these messages for translation (gettext):\n" + "\n".join(found)


def test_the_scan_finds_each_way_of_writing_an_unmarked_refusal():
    source = """
from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, serializers

raise serializers.ValidationError({"before": ["Choose a time after 'since'."]})
raise exceptions.NotFound(f"{country} has no member {id}.")
raise ValidationError("Wrong: " + reason)
raise ServiceError(_("Marked."), field="x")
field = serializers.ChoiceField(error_messages={"invalid_choice": "Choose a kind: " + kinds})
raise Http404("Nobody reads this.")
raise exceptions.ParseError(_("{name} is marked.").format(name=name))
"""
    found = unmarked_refusals(source, "example.py")
    assert [line.split(":")[1] for line in found] == ["7", "8", "9", "11"], found


def test_the_messages_left_out_are_read_by_nobody(cast):
    """A 404 raised with a message of its own shows the portal's page, not the message."""
    client = Client()
    client.force_login(cast.member)
    response = client.get("/c/zz/")
    assert response.status_code == 404
    assert b"No country with this code is visible to you." not in response.content
