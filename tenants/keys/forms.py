"""Forms of the exit and erasure pages: the shape of the input and the words of its errors. The
rules (four eyes, the waiting period, who may act) stay in tenants.keys.exit and .erasure."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from tenants.forms import ServiceErrorMixin
from tenants.keys.exit import REASON_MAX


class ExitRequestForm(ServiceErrorMixin, forms.Form):
    reason = forms.CharField(
        label=_("Why does the country leave the programme?"),
        max_length=REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={
            "required": _("Give the reason: it is kept with the exit, for both sides to read."),
            "max_length": _("Keep the reason under %(limit_value)d characters."),
        },
    )


class ExitRunForm(ServiceErrorMixin, forms.Form):
    run_reason = forms.CharField(
        label=_("Why is the exit run now?"),
        max_length=REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={
            "required": _("Give the reason for taking this irreversible step now."),
            "max_length": _("Keep the reason under %(limit_value)d characters."),
        },
    )
    understood = forms.BooleanField(
        label=_("I understand that the keys will be destroyed and that this cannot be undone"),
        error_messages={"required": _("Confirm that you understand this cannot be undone.")},
    )


class ErasureRequestForm(ServiceErrorMixin, forms.Form):
    reason = forms.CharField(
        label=_("Why is this person's data erased? (optional)"),
        required=False,
        max_length=REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"max_length": _("Keep the reason under %(limit_value)d characters.")},
    )


class ErasureConfirmForm(ServiceErrorMixin, forms.Form):
    understood = forms.BooleanField(
        label=_("I understand that this person's data will be erased and that this cannot be undone"),
        error_messages={"required": _("Confirm that you understand this cannot be undone.")},
    )
