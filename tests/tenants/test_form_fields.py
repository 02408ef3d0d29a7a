"""One reading of dates and whole numbers on every page form (tenants.fields): dates only as
YYYY-MM-DD, refused otherwise with a message naming the format; whole numbers also grouped as the
reader's language writes them. The API keeps ISO dates and JSON numbers."""

from __future__ import annotations

import datetime as dt

import pytest
from django import forms
from django.urls import get_resolver
from django.utils import translation

from tenants.fields import GroupedIntegerField, IsoDateField

pytestmark = pytest.mark.django_db
OURS = {"deployments", "engagements", "gateway", "governance", "portal", "tenants", "training"}


def _all_form_classes() -> list[type[forms.BaseForm]]:
    get_resolver().url_patterns  # noqa: B018 (imports every view module and so every form)
    seen, todo = [], [forms.BaseForm]
    while todo:
        cls = todo.pop()
        for sub in cls.__subclasses__():
            if sub not in seen:
                seen.append(sub)
                todo.append(sub)
    return [cls for cls in seen if cls.__module__.split(".")[0] in OURS]


def test_every_date_on_a_page_form_is_read_as_yyyy_mm_dd_only():
    offenders = [
        f"{cls.__module__}.{cls.__name__}.{name}"
        for cls in _all_form_classes()
        for name, field in getattr(cls, "base_fields", {}).items()
        if isinstance(field, (forms.DateField, forms.DateTimeField)) and not isinstance(field, IsoDateField)
    ]
    assert offenders == []


def test_every_typed_whole_number_on_a_page_form_accepts_the_readers_grouping():
    offenders = [
        f"{cls.__module__}.{cls.__name__}.{name}"
        for cls in _all_form_classes()
        for name, field in getattr(cls, "base_fields", {}).items()
        if isinstance(field, forms.IntegerField)
        and not isinstance(field, GroupedIntegerField)
        and not isinstance(field.widget, forms.HiddenInput)
        and not isinstance(field, forms.TypedChoiceField)
    ]
    assert offenders == []


@pytest.mark.parametrize("language", ["en", "fr", "es", "pt", "ar", "sw"])
@pytest.mark.parametrize("written", ["12/31/2026", "31/12/2026", "2026/12/31", "31 Dec 2026", "2026-12-31T00:00"])
def test_a_date_not_written_yyyy_mm_dd_is_refused_naming_the_format(language, written):
    with translation.override(language):
        field = IsoDateField()
        assert field.clean("2026-12-31") == dt.date(2026, 12, 31)
        with pytest.raises(forms.ValidationError) as refused:
            field.clean(written)
        if language == "en":
            assert refused.value.messages == ["Enter the date as YYYY-MM-DD, for example 2026-03-01."]
        assert "YYYY" in refused.value.messages[0] or "AAAA" in refused.value.messages[0]


@pytest.mark.parametrize(
    "language, written",
    [
        ("fr", "7 000 000"),
        ("fr", "7\u202f000\u202f000"),
        ("fr", "7\u00a0000\u00a0000"),
        ("en", "7,000,000"),
        ("en", "7 000 000"),
        ("es", "7\u00a0000\u00a0000"),
        ("pt", "7.000.000"),
        ("sw", "7,000,000"),
        ("en", "7000000"),
    ],
)
def test_a_whole_number_grouped_as_the_reader_writes_it_is_accepted(language, written):
    with translation.override(language):
        assert GroupedIntegerField().clean(written) == 7_000_000


@pytest.mark.parametrize(
    "language, written", [("fr", "7,000,000"), ("en", "7 00 000"), ("fr", "1 5"), ("en", "1,0000"), ("fr", "7 000,5")]
)
def test_a_badly_grouped_number_is_refused(language, written):
    with translation.override(language):
        with pytest.raises(forms.ValidationError):
            GroupedIntegerField().clean(written)


def test_an_approvals_expiry_date_is_read_as_yyyy_mm_dd_only():
    from deployments.forms import ActionForm

    assert ActionForm(data={"expires_on": "2027-06-30"}).is_valid()
    for written in ("06/30/2027", "30/06/2027"):
        form = ActionForm(data={"expires_on": written})
        assert not form.is_valid() and form.errors["expires_on"] == [
            "Enter the date as YYYY-MM-DD, for example 2026-03-01."
        ]


def test_tokens_grouped_as_in_french_are_read():
    from deployments.forms import UsageForm

    with translation.override("fr"):
        form = UsageForm(data={"tokens": "1\u202f000\u202f000"})
        assert form.is_valid(), form.errors
        assert form.cleaned_data["tokens"] == 1_000_000
