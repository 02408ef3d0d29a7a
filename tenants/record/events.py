"""The record as people read it: labels, targets and details of events, and keyset pages of a chain."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy

from tenants import selectors
from tenants.models import Country, Organisation
from tenants.pages import ROLE_LABELS, country_url
from tenants.record.models import CountryEvent

ACTION_LABELS = {
    "organisation.created": gettext_lazy("Organisation added"),
    "member.invited": gettext_lazy("Person invited"),
    "member.added": gettext_lazy("Person added"),
    "member.joined": gettext_lazy("Invitation accepted"),
    "member.role_changed": gettext_lazy("Role changed"),
    "member.removed": gettext_lazy("Person removed"),
}


EVENTS_PER_PAGE = 50


def _humanise_action(action: str) -> str:
    return ACTION_LABELS.get(action) or action.replace(".", " ").replace("_", " ").capitalize()


def describe_events(events: list[CountryEvent], country: Country) -> list[CountryEvent]:
    """Give each event a label, a readable target and a short detail, with one query per kind of
    target (not one per row)."""
    org_ids = {int(e.target_id) for e in events if e.target_type == "tenants.organisation" and e.target_id.isdigit()}
    member_ids = {int(e.target_id) for e in events if e.target_type == "tenants.membership" and e.target_id.isdigit()}
    organisations = {}
    if org_ids:
        organisations = {o.pk: o for o in selectors.organisation_list(country=country).filter(pk__in=org_ids)}
    members = {}
    if member_ids:
        members = {m.pk: m for m in selectors.membership_list(country=country).filter(pk__in=member_ids)}
    for event in events:
        event.label = _humanise_action(event.action)
        event.actor_role_label = ROLE_LABELS.get(event.actor_role, event.actor_role.replace("_", " "))
        event.target_label, event.target_url = "", ""
        if event.target_type == "tenants.organisation" and event.target_id.isdigit():
            organisation = organisations.get(int(event.target_id))
            if organisation is not None:
                event.target_label = organisation.name
                event.target_url = country_url("organisation", country, pk=organisation.pk)
            else:
                event.target_label = f"Organisation {event.target_id} (no longer exists)"
        elif event.target_type == "tenants.membership" and event.target_id.isdigit():
            membership = members.get(int(event.target_id))
            if membership is not None:
                event.target_label = membership.display_name or membership.display_email
                event.target_url = country_url("member", country, pk=membership.pk)
            else:
                event.target_label = f"Membership {event.target_id} (removed)"
        elif event.target_type:
            event.target_label = f"{event.target_type.split('.')[-1].replace('_', ' ').capitalize()} {event.target_id}"
        payload = event.payload or {}
        if event.action == "member.role_changed":
            event.detail = (
                f"From {ROLE_LABELS.get(payload.get('from'), payload.get('from'))} "
                f"to {ROLE_LABELS.get(payload.get('to'), payload.get('to'))}"
            )
        elif "role" in payload and len(payload) <= 2:
            event.detail = f"As {ROLE_LABELS.get(payload['role'], payload['role']).lower()}"
        elif "kind" in payload:
            event.detail = dict(Organisation.Kind.choices).get(payload["kind"], payload["kind"])
        else:
            event.detail = ", ".join(f"{key}: {value}" for key, value in payload.items())
    return events


def keyset_page(
    events: QuerySet[CountryEvent], *, before: int | None, after: int | None, size: int
) -> tuple[list[CountryEvent], bool, bool]:
    """One page of events, newest first, keyed on the sequence number: those just before `before`
    or just after `after` (else the newest). Returns the rows and whether there are newer and older
    ones. One query whatever the length of the chain: no COUNT(*) and no OFFSET."""
    if after is not None:
        rows = list(events.filter(sequence__gt=after).order_by("sequence")[: size + 1])
        return rows[:size][::-1], len(rows) > size, True
    if before is not None:
        events = events.filter(sequence__lt=before)
    rows = list(events.order_by("-sequence")[: size + 1])
    return rows[:size], before is not None, len(rows) > size
