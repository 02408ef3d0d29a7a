"""Dates, times and numbers written outside a template (mails, notifications, messages built in
Python) in the active language's own format (settings.FORMAT_MODULE_PATH), never a fixed pattern:
strftime's month names stay English whatever the reader's language, and "1,500,000" is not how
French or Swahili readers group digits."""

from __future__ import annotations

from datetime import UTC, date, datetime

from django.utils import formats, timezone


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


def zone_label(value: datetime) -> str:
    """The zone a moment is written in: "UTC", or its offset from UTC ("UTC+01:00")."""
    offset = value.utcoffset()
    if not offset:
        return "UTC"
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes > 0 else "-"
    return f"UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def in_zone(value: datetime) -> datetime:
    """A moment in the time zone in force: the reader's on a page (their own, else their
    country's, else UTC), UTC in mail and background work. A naive one is read as UTC."""
    if timezone.is_naive(value):
        value = value.replace(tzinfo=UTC)
    return timezone.localtime(value)


def long_datetime(value: datetime | None, style: str = "DATETIME_FORMAT") -> str:
    """The one way a moment is written, on pages (the `moment` filter), in messages and in the
    record's details: in the time zone in force, in the reader's format, followed by that zone."""
    if value is None:
        return ""
    value = in_zone(value)
    return f"{formats.date_format(value, style)} {zone_label(value)}"


def grouped_number(value: int | None) -> str:
    """A whole number with the active language's digit grouping (1,500,000; 1 500 000; 1.500.000)."""
    if value is None:
        return ""
    return formats.number_format(value, force_grouping=True)
