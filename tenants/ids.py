"""Whole numbers read from text a caller or a stored record supplies: a row id in a URL, a query
string, a form field, an event's target, a key's part.

`str.isdigit()` is not the test for them: it is true of superscripts, circled numbers and the
digits of other scripts ("²", "①", "١"), which `int()` refuses or reads as another number. Only
ASCII digits name a row here; anything else is "not an id", never an error. Pure Python, so the
gateway may use it too."""

from __future__ import annotations

MAX_ID = 2**63 - 1  # bigint: larger numbers cannot name a row and must not reach the database
_MAX_DIGITS = len(str(MAX_ID))


def digits(value: object, *, most: int = _MAX_DIGITS) -> int | None:
    """`value` as a whole number when it is a string of one to `most` ASCII digits (or already an
    int of no more than `most` digits, not a bool), otherwise None. Zero is a number here."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 0 <= value and len(str(value)) <= most else None
    if not isinstance(value, str) or not 0 < len(value) <= most or not value.isascii() or not value.isdigit():
        return None
    return int(value)


def parse_id(value: object) -> int | None:
    """A row id (1 to the largest bigint) from `value`, or None for anything that cannot be one."""
    number = digits(value)
    return number if number is not None and 1 <= number <= MAX_ID else None
