"""Dates, times and numbers written outside a template (mails, notifications, messages built in
Python) in the active language's own format (settings.FORMAT_MODULE_PATH), never a fixed pattern:
strftime's month names stay English whatever the reader's language, and "1,500,000" is not how
French or Swahili readers group digits."""

from __future__ import annotations

from datetime import UTC, date, datetime

from django.utils import formats


def long_date(value: date | datetime | None) -> str:
    """3 December 2026, 3 décembre 2026, 3 ديسمبر، 2026… (a datetime is read in UTC)."""
    if value is None:
        return ""
    if isinstance(value, datetime) and value.tzinfo is not None:
        value = value.astimezone(UTC)
    return formats.date_format(value, "DATE_FORMAT")


def month_name(value: str | date | None) -> str:
    """A month as the reader writes it: "2026-12" (or any date in it) is December 2026, décembre
    2026, diciembre de 2026… A value that is no month is given back as it came."""
    if value is None:
        return ""
    if isinstance(value, str):
        try:
            year, number = (int(part) for part in value.split("-"))
            value = date(year, number, 1)
        except (ValueError, TypeError):
            return value
    return formats.date_format(value, "YEAR_MONTH_FORMAT")


def long_datetime(value: datetime | None) -> str:
    """The date and time in UTC, in the active language's format, followed by "UTC"."""
    if value is None:
        return ""
    if value.tzinfo is not None:
        value = value.astimezone(UTC)
    return f"{formats.date_format(value, 'DATETIME_FORMAT')} UTC"


def grouped_number(value: int | None) -> str:
    """A whole number with the active language's digit grouping (1,500,000; 1 500 000; 1.500.000)."""
    if value is None:
        return ""
    return formats.number_format(value, force_grouping=True)
