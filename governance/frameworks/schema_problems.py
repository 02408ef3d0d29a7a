"""JSON Schema checks of a framework file's shape, reported as problems a person can act on, each
at the line of the value at fault."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from jsonschema import Draft202012Validator

from .reading import Problem, line_at

TYPE_WORDS = {
    "string": gettext_lazy("text"),
    "integer": gettext_lazy("a whole number"),
    "boolean": gettext_lazy("true or false"),
    "array": gettext_lazy("a list"),
    "object": gettext_lazy("a mapping of keys to values"),
    "number": gettext_lazy("a number"),
}


def _found(value: Any) -> str:
    if value is None:
        return _("nothing")
    if isinstance(value, bool):
        return _("true or false")
    if isinstance(value, int):
        return _("a whole number")
    if isinstance(value, float):
        return _("a decimal number")
    if isinstance(value, str):
        return _("text")
    if isinstance(value, list):
        return _("a list")
    if isinstance(value, dict):
        return _("a mapping")
    return type(value).__name__


def _where(path) -> str:
    parts = []
    for step in path:
        if isinstance(step, int):
            parts.append(f"[{step + 1}]")
        else:
            parts.append(("." if parts else "") + str(step))
    return "".join(parts) or _("the file")


def check(document: Any, schema: dict, hints: dict[str, str] | None = None) -> list[Problem]:
    """Every way `document` departs from `schema`, in file order. `hints` gives, per property name,
    the message for a value that does not match its pattern."""
    hints = hints or {}
    problems = []
    validator = Draft202012Validator(schema)
    for error in validator.iter_errors(document):
        path = list(error.absolute_path)
        where = _where(path)
        name = str(path[-1]) if path and not isinstance(path[-1], int) else ""
        if error.validator == "required":
            missing = error.message.split("'")[1] if "'" in error.message else error.message
            message = _("%(where)s: “%(key)s” is missing.") % {"where": where, "key": missing}
        elif error.validator == "additionalProperties":
            allowed = ", ".join(sorted((error.schema.get("properties") or {}).keys()))
            extra = sorted(set(error.instance) - set(error.schema.get("properties") or {}), key=str)
            for key in extra:
                problems.append(
                    Problem(
                        line_at(document, [*path, key]),
                        _("%(where)s: “%(key)s” is not a known key here (known: %(allowed)s).")
                        % {"where": where, "key": str(key)[:60], "allowed": allowed},
                    )
                )
            continue
        elif error.validator == "type":
            expected = error.validator_value
            expected = [expected] if isinstance(expected, str) else expected
            message = _("%(where)s: expected %(expected)s, found %(found)s.") % {
                "where": where,
                "expected": _(" or ").join(str(TYPE_WORDS.get(t, t)) for t in expected),
                "found": _found(error.instance),
            }
        elif error.validator == "pattern":
            message = f"{where}: " + hints.get(
                name, _("“%(value)s” is not in the expected form.") % {"value": str(error.instance)[:60]}
            )
        elif error.validator in ("enum", "const"):
            allowed = error.validator_value if error.validator == "enum" else [error.validator_value]
            message = _("%(where)s: “%(value)s” is not one of %(allowed)s.") % {
                "where": where,
                "value": str(error.instance)[:60],
                "allowed": ", ".join(str(a) for a in allowed),
            }
        elif error.validator == "maxLength":
            message = _("%(where)s: longer than %(limit)s characters.") % {
                "where": where,
                "limit": error.validator_value,
            }
        elif error.validator == "minLength":
            message = _("%(where)s: may not be empty.") % {"where": where}
        elif error.validator in ("minimum", "maximum"):
            message = _("%(where)s: %(value)s is out of range.") % {"where": where, "value": error.instance}
        elif error.validator == "minItems":
            message = _("%(where)s: the list is empty.") % {"where": where}
        elif error.validator == "maxItems":
            message = _("%(where)s: more than %(limit)s items.") % {"where": where, "limit": error.validator_value}
        else:
            message = f"{where}: {error.message[:200]}"
        problems.append(Problem(line_at(document, path), message))
    return sorted(problems, key=lambda p: (p.line or 0, p.message))
