"""A time zone is a name from the time-zone database: anything else is refused as such, never read
as a path (a folder like "Europe" or an over-long name once made ZoneInfo raise a file-system error,
a 500 on the account's preferences and in the admin's country form)."""

import pytest
from django.core.exceptions import ValidationError

from tenants.languages.choice import valid_time_zone
from tenants.models import is_time_zone, time_zone_validator


@pytest.mark.parametrize("name", ["Europe/Paris", "Africa/Nairobi", "America/Sao_Paulo", "UTC", "Asia/Dubai"])
def test_zone_names_are_zones(name):
    assert is_time_zone(name) and valid_time_zone(name) == name
    time_zone_validator(name)


@pytest.mark.parametrize(
    "name",
    [
        "",
        "Europe",
        "America",
        "posix",
        "right",
        "Mars/Olympus",
        "../../etc/passwd",
        "/etc/localtime",
        "Europe/" + "x" * 300,
        "x" * 5000,
        "Europe/Paris\x00",
        None,
        3,
    ],
)
def test_anything_else_is_refused_as_not_a_zone(name):
    assert not is_time_zone(name) and valid_time_zone(name) is None
    with pytest.raises(ValidationError):
        time_zone_validator(name)
