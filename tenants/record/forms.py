"""Forms of the audit pages: the filters of a chain's events and the range of a ledger extract."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import urlencode

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tenants.access import AUDITOR, PARTNER_MANAGER
from tenants.fields import GroupedIntegerField, IsoDateField
from tenants.models import Membership
from tenants.record.selectors import SYSTEM_ROLE  # the portal itself: no person acting

ACTOR_ROLE_CHOICES = [
    ("", gettext_lazy("Any role")),
    *Membership.Role.choices,
    (PARTNER_MANAGER, gettext_lazy("Partner manager")),
    (AUDITOR, gettext_lazy("Auditor")),
    ("platform", gettext_lazy("Platform operator")),
    (SYSTEM_ROLE, gettext_lazy("The portal itself (no person)")),
]


LARGEST_SEQUENCE = 10**15  # far beyond any chain, well within a 64-bit column


def _date_field(label, invalid) -> IsoDateField:
    """A date filter; its messages are whole sentences, translated when the form is shown (lazy:
    this runs once, at import, in no reader's language)."""
    return IsoDateField(
        label=label,
        required=False,
        help_text=gettext_lazy("For example, 2026-03-01"),
        error_messages={"invalid": invalid},
    )


def _sequence_field(label, invalid, too_large, **kwargs) -> GroupedIntegerField:
    return GroupedIntegerField(
        label=label,
        required=False,
        min_value=1,
        max_value=LARGEST_SEQUENCE,
        error_messages={"invalid": invalid, "min_value": invalid, "max_value": too_large},
        **kwargs,
    )


def start_of_day(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


class AuditFilterForm(forms.Form):
    """Filters of the audit page (all optional, in the query string) and its keyset page links."""

    action = forms.ChoiceField(
        label=gettext_lazy("Action"),
        required=False,
        error_messages={"invalid_choice": gettext_lazy("Choose an action from the list.")},
    )
    role = forms.ChoiceField(
        label=gettext_lazy("Role of the person"),
        required=False,
        choices=ACTOR_ROLE_CHOICES,
        error_messages={"invalid_choice": gettext_lazy("Choose a role from the list.")},
    )
    actor = forms.CharField(
        label=gettext_lazy("Who"),
        required=False,
        max_length=150,
        help_text=gettext_lazy("Part of a name as shown in the Who column"),
        error_messages={"max_length": gettext_lazy("Enter at most 150 characters of the name.")},
    )
    date_from = _date_field(
        gettext_lazy("From date (UTC)"), gettext_lazy("Enter the from date as YYYY-MM-DD, for example 2026-03-01.")
    )
    date_to = _date_field(
        gettext_lazy("To date (UTC)"), gettext_lazy("Enter the to date as YYYY-MM-DD, for example 2026-03-01.")
    )
    seq_from = _sequence_field(
        gettext_lazy("From event number"),
        gettext_lazy("Enter the first event number as a whole number of 1 or more, as shown in the No. column."),
        gettext_lazy("The first event number is larger than any chain."),
    )
    seq_to = _sequence_field(
        gettext_lazy("To event number"),
        gettext_lazy("Enter the last event number as a whole number of 1 or more, as shown in the No. column."),
        gettext_lazy("The last event number is larger than any chain."),
    )
    page_link = gettext_lazy("This page link is not valid. Go back to the first page of results.")
    before = forms.IntegerField(
        required=False,
        widget=forms.HiddenInput,  # a page link's position, never typed
        min_value=1,
        max_value=LARGEST_SEQUENCE,
        error_messages={"invalid": page_link, "min_value": page_link, "max_value": page_link},
    )
    after = forms.IntegerField(
        required=False,
        widget=forms.HiddenInput,  # a page link's position, never typed
        min_value=1,
        max_value=LARGEST_SEQUENCE,
        error_messages={"invalid": page_link, "min_value": page_link, "max_value": page_link},
    )

    FILTERS = ("action", "role", "actor", "date_from", "date_to", "seq_from", "seq_to")

    def __init__(self, *args, actions: Iterable[str], **kwargs):
        super().__init__(*args, **kwargs)
        actions = list(actions)
        from tenants.record.events import ACTION_LABELS, family_label

        families: dict[str, list[str]] = {}
        for action in actions:
            families.setdefault(action.split(".", 1)[0], []).append(action)
        # Each family ("member") comes with an entry for all of its actions ("member.").
        self.action_groups = [
            (
                family_label(family),
                [
                    (f"{family}.", _("Any action: {group}").format(group=family_label(family))),
                    # The action in words where a module named it, with its code (what the
                    # ledger and its exports hold).
                    *[(a, f"{ACTION_LABELS[a]} ({a})" if a in ACTION_LABELS else a) for a in members],
                ],
            )
            for family, members in families.items()
        ]
        self.fields["action"].choices = [("", _("Any action"))] + [
            choice for _, choices in self.action_groups for choice in choices
        ]

    def clean(self):
        cleaned = super().clean()
        date_from, date_to = cleaned.get("date_from"), cleaned.get("date_to")
        if date_from and date_to and date_from > date_to:
            self.add_error("date_to", _("The to date must be the same as or after the from date."))
        seq_from, seq_to = cleaned.get("seq_from"), cleaned.get("seq_to")
        if seq_from and seq_to and seq_from > seq_to:
            self.add_error("seq_to", _("The last event number must be the same as or after the first."))
        return cleaned

    @property
    def filtering(self) -> bool:
        return any(self.cleaned_data.get(name) not in (None, "") for name in self.FILTERS)

    def search_arguments(self) -> dict:
        """The filters as keyword arguments of tenants.record.selectors.event_search."""
        data = self.cleaned_data
        role = data.get("role") or None
        date_to = data.get("date_to")
        return {
            "action": data.get("action") or "",
            "actor_role": role,
            "actor_label": data.get("actor", "").strip(),
            "at_from": start_of_day(data["date_from"]) if data.get("date_from") else None,
            "at_before": start_of_day(date_to + timedelta(days=1)) if date_to and date_to < date.max else None,
            "sequence_from": data.get("seq_from"),
            "sequence_to": data.get("seq_to"),
        }

    def query_string(self, **page) -> str:
        """The current filters with a page position, for the Newer and Older links."""
        values = {name: self.data.get(name, "") for name in self.FILTERS if self.data.get(name, "")}
        return "?" + urlencode({**values, **page})


class LedgerExportForm(forms.Form):
    first = _sequence_field(
        gettext_lazy("First event (optional)"),
        gettext_lazy("Enter the first event number as a whole number of 1 or more, as shown in the No. column."),
        gettext_lazy("The first event number is larger than any chain."),
    )
    last = _sequence_field(
        gettext_lazy("Last event (optional)"),
        gettext_lazy("Enter the last event number as a whole number of 1 or more, as shown in the No. column."),
        gettext_lazy("The last event number is larger than any chain."),
    )

    def clean(self):
        cleaned = super().clean()
        first, last = cleaned.get("first"), cleaned.get("last")
        if first and last and first > last:
            self.add_error("last", _("The last event must be the same as or after the first."))
        return cleaned
