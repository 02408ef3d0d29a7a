"""The fields every page form reads dates and whole numbers with, so that one input means the same
on every page: dates only as YYYY-MM-DD (what the hints show and what a date input sends), whole
numbers also as the reader's language groups their digits (7 000 000 in French, 7.000.000 in
Spanish, 7,000,000 in English). The API keeps JSON numbers and ISO 8601 dates (REST_FRAMEWORK)."""

from __future__ import annotations

import re

from django import forms
from django.utils.formats import get_format
from django.utils.translation import gettext_lazy

ISO_DATE = "%Y-%m-%d"
DATE_MESSAGE = gettext_lazy("Enter the date as YYYY-MM-DD, for example 2026-03-01.")
# Spaces group digits in every language (ISO 31-0), the narrow and the plain no-break one included.
SPACES = " \u00a0\u202f"


class IsoDateField(forms.DateField):
    """A date written YYYY-MM-DD and nothing else: 03/04/2026 is a different day in different
    countries, so it is refused with a message naming the format rather than guessed."""

    input_formats = [ISO_DATE]
    default_error_messages = {"invalid": DATE_MESSAGE}

    def __init__(self, **kwargs):
        kwargs.pop("input_formats", None)
        super().__init__(input_formats=[ISO_DATE], **kwargs)


def ungrouped(text: str) -> str:
    """`text` without the separators grouping its digits in threes, when it is grouped in the
    reader's language's way or with spaces; otherwise unchanged (and refused if not a number)."""
    text = text.strip()
    separators = set(SPACES)
    thousands = get_format("THOUSAND_SEPARATOR")
    if thousands and thousands != get_format("DECIMAL_SEPARATOR"):
        separators.add(thousands)
    for separator in separators:
        if re.fullmatch(rf"[+-]?\d{{1,3}}(?:{re.escape(separator)}\d{{3}})+", text):
            return text.replace(separator, "")
    return text


class GroupedIntegerField(forms.IntegerField):
    """A whole number, also as the reader groups its digits (1 000 000 in French): a number the
    portal shows can be typed back as shown."""

    def to_python(self, value):
        if isinstance(value, str):
            value = ungrouped(value)
        return super().to_python(value)

    widget = forms.TextInput  # a number input would refuse the grouping before the form sees it

    def widget_attrs(self, widget):
        return {**super().widget_attrs(widget), "inputmode": "numeric"}
