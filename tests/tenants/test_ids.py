"""The one reading of a row id from text (tenants/ids.py): ASCII digits only, within a bigint."""

import pytest

from tenants.ids import MAX_ID, digits, parse_id


@pytest.mark.parametrize(
    "value",
    [
        "²",
        "①",
        "١",
        "١٢",
        "12²",
        "𝟙",
        "",
        " 1",
        "1 ",
        "+1",
        "-1",
        "1_000",
        "0",
        "0x1",
        "1.0",
        str(MAX_ID + 1),
        None,
        True,
        1.0,
    ],
)
def test_what_is_not_an_id(value):
    assert parse_id(value) is None


@pytest.mark.parametrize("value,expected", [("1", 1), ("007", 7), (str(MAX_ID), MAX_ID), (42, 42)])
def test_what_is_an_id(value, expected):
    assert parse_id(value) == expected


def test_digits_allows_zero_and_bounds_the_length():
    assert digits("0") == 0
    assert digits("123", most=2) is None
    assert digits("²") is None and digits("١") is None
