"""Forms of the register's pages: shape only. Required texts, limits, names and addresses are the
services' rules (deployments.register.services), reported against the field they concern."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from tenants.forms import ServiceErrorMixin

# (field, label, hint, rows): rows 0 is a one-line input.
ENTRY_FIELDS = [
    ("name", _("Name"), _("The name the public knows the service by."), 0),
    ("summary", _("What it does"), _("In plain words, for someone who has never heard of it."), 4),
    ("purpose", _("Why it is used"), _("The problem it helps with, and the benefit to people."), 4),
    (
        "how_to_ask",
        _("How to ask a question or complain"),
        _("How people ask for information, for a person to review a decision, or complain, online and offline."),
        3,
    ),
    ("contact_email", _("Contact mailbox (optional)"), _("A team or role mailbox, never a person's own address."), 0),
    ("website", _("Web page with more information (optional)"), "", 0),
    (
        "accountable_role",
        _("Role accountable for it"),
        _("A role, e.g. “Director of digital services”: not a name."),
        0,
    ),
    ("team", _("Team (optional)"), "", 0),
    (
        "human_oversight",
        _("Human oversight"),
        _("Who reviews its outputs, when, and how they can override or stop it."),
        4,
    ),
    (
        "data_description",
        _("Data used"),
        _("What data it uses, where it comes from, and whether it includes personal data."),
        4,
    ),
    (
        "risks_mitigations",
        _("Risks and mitigations (optional)"),
        _("In addition to those of the impact assessment, which are shown with the entry."),
        4,
    ),
    ("alternatives", _("What was done before, and alternatives considered (optional)"), "", 3),
]


class EntryForm(ServiceErrorMixin, forms.Form):
    language = forms.CharField(
        label=_("Language of these texts"), required=False, help_text=_("A tag such as fr, en or pt-BR.")
    )
    change_note = forms.CharField(
        label=_("What changed since the last version"),
        required=False,
        help_text=_("Shown to the public in the entry's history."),
    )

    def __init__(self, *args, with_change_note: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        for name, label, hint, rows in ENTRY_FIELDS:
            widget = forms.Textarea(attrs={"rows": rows}) if rows else forms.TextInput
            self.fields[name] = forms.CharField(label=label, help_text=hint, required=False, widget=widget)
        if not with_change_note:
            del self.fields["change_note"]
        self.order_fields(["language", *(f[0] for f in ENTRY_FIELDS), "change_note"])

    def texts(self) -> dict:
        data = dict(self.cleaned_data)
        data.pop("change_note", None)
        return data


class WithdrawForm(ServiceErrorMixin, forms.Form):
    reason = forms.CharField(
        label=_("Why is it withdrawn?"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("The public sees this reason in place of the entry."),
    )
