"""A call's body read the way every upstream reads it, or refused.

The gateway checks what a body says (its model, whether it streams, its output ceiling) and sends
the same bytes on; an upstream parses them again with a parser of its own. Where two parsers could
read the same bytes differently, a caller could show the gateway one call and the upstream another
(an approved model to the gateway, another to the upstream). So the gateway takes only what every
parser reads alike: UTF-8 JSON (RFC 8259) whose member names are each given once in their object
(also when told apart by case only, which some parsers ignore), with no NaN or Infinity, no
number beyond what a double holds, and no unpaired surrogate escape ("\\ud800": half a character,
which one parser refuses, another replaces and a third passes on); and, of the members it reads, only the types the upstream's
schema has, a count within a 64-bit integer. A multipart form is read part by part at its boundary, each field
named once. Each refusal says what to send instead."""

from __future__ import annotations

import email
import json
import math

from . import errors

LARGEST_INTEGER = 2**63 - 1


class _Unreadable(Exception):
    def __init__(self, refusal: errors.Refusal):
        self.refusal = refusal


def _unreadable(message: str, code: str = "invalid_json", param: str | None = None) -> _Unreadable:
    return _Unreadable(errors.bad_request(message, code=code, param=param))


def _lone_surrogate(value) -> bool:
    """A string, or a string in an array (at any depth), holding half of a UTF-16 pair; objects
    within are checked by their own `_members`."""
    if isinstance(value, str):
        return any("\ud800" <= character <= "\udfff" for character in value)
    if isinstance(value, list):
        return any(_lone_surrogate(item) for item in value if not isinstance(item, dict))
    return False


def _members(pairs: list) -> dict:
    for name, value in pairs:
        if _lone_surrogate(name) or _lone_surrogate(value):
            named = json.dumps(name)[1:-1][:100]  # a name holding the surrogate itself, as its escape
            raise _unreadable(
                f'The body\'s member "{named}" holds an unpaired surrogate escape (such as \\ud800), half of a '
                "character that servers read differently. Send whole characters (a pair of escapes, or the "
                "character in UTF-8).",
                code="invalid_encoding",
                param=named,
            )
    data = dict(pairs)
    if len(data) < len(pairs):
        seen: set = set()
        name = next(n for n, _ in pairs if n in seen or seen.add(n))
        raise _unreadable(
            f'The body names the member "{name[:100]}" twice in one object. Send each member once.',
            code="duplicate_member",
            param=name[:100],
        )
    if len(data) > 1 and len({name.casefold() for name in data}) < len(data):
        folded: dict = {}
        for name in data:
            other = folded.setdefault(name.casefold(), name)
            if other != name:
                raise _unreadable(
                    f'The body names "{other[:100]}" and "{name[:100]}" in one object: some servers read member '
                    "names without regard to case, and would take them for one. Send each member once, in one "
                    "spelling.",
                    code="duplicate_member",
                    param=name[:100],
                )
    return data


def _double(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _unreadable(
            f"The body has the number {text[:30]}, which is larger than a double holds. Send a smaller number."
        )
    return value


def _constant(name: str):
    raise _unreadable(f"The body has {name}, which is not JSON (RFC 8259). Send a number, or null.")


def json_object(body: bytes) -> dict | errors.Refusal:
    """The body as a JSON object, or the refusal that says why it cannot be taken."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as error:
        return errors.bad_request(
            f"The body is not UTF-8 (byte {error.start} cannot be read). Send the JSON encoded in UTF-8.",
            code="invalid_encoding",
        )
    if text.startswith("\ufeff"):
        return errors.bad_request(
            "The body starts with a byte order mark, which JSON does not allow. Send it without one.",
            code="invalid_encoding",
        )
    try:
        data = json.loads(text, object_pairs_hook=_members, parse_float=_double, parse_constant=_constant)
    except _Unreadable as unreadable:
        return unreadable.refusal
    except RecursionError:
        return errors.bad_request("The body's JSON is nested too deeply. Send a flatter document.", code="invalid_json")
    except json.JSONDecodeError as error:
        where = f"line {error.lineno}, column {error.colno}: {error.msg}"
        return errors.bad_request(f"The body is not valid JSON ({where}).", code="invalid_json")
    except ValueError:  # an integer of more digits than Python reads (sys.get_int_max_str_digits)
        return errors.bad_request(
            "The body has a number with too many digits to be read. Send a smaller number.", code="invalid_json"
        )
    if not isinstance(data, dict):
        return errors.bad_request("The body must be a JSON object, {…}.", code="invalid_json")
    return data


def flag(data: dict, name: str) -> bool | errors.Refusal:
    """A member read as true or false (absent or null: false); anything else is refused, since a
    schema that coerces would read "true" or 1 as true where the gateway would not."""
    value = data.get(name)
    if value is None or isinstance(value, bool):
        return bool(value)
    return errors.bad_request(
        f'"{name}" must be true or false, not {json.dumps(value)[:40]}.', code="invalid_type", param=name
    )


def count(data: dict, name: str) -> int | None | errors.Refusal:
    """A member read as a whole number of at least 1 (absent or null: None); anything else is
    refused, since a schema that coerces would read "5" or 5.0 as five where the gateway would not."""
    value = data.get(name)
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= LARGEST_INTEGER:
        return value
    return errors.bad_request(
        f'"{name}" must be a whole number from 1 to {LARGEST_INTEGER} (or left out), not {json.dumps(value)[:40]}.',
        code="invalid_value",
        param=name,
    )


def form_fields(body: bytes, content_type: str) -> dict | errors.Refusal:
    """The form's own model and stream fields, read part by part at its boundary (never text inside
    a file), as the upstream's parser reads them."""
    message = email.message_from_bytes(b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body)
    if not message.is_multipart() or message.defects:
        return errors.bad_request("The form is not valid multipart/form-data: send the fields file and model.")
    fields: dict[str, str] = {}
    for part in message.get_payload():
        name = part.get_param("name", header="content-disposition")
        if name in ("model", "stream") and part.get_filename() is None:
            if name in fields:
                return errors.bad_request(
                    f"The form names {name} twice. Send each field once.", code="duplicate_member", param=name
                )
            fields[name] = (part.get_payload(decode=True) or b"").decode("utf-8", "replace")[:200]
    stream = fields.get("stream", "false").strip().lower()
    if stream not in ("true", "false"):
        return errors.bad_request(
            f"The form's stream field must be true or false, not {stream[:40]!r}.", code="invalid_type", param="stream"
        )
    return fields
