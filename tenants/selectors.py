"""Reads of the tenants app, already scoped to what the asking person may see."""
from __future__ import annotations

from datetime import datetime

from django.db import connection
from django.db.models import Count, QuerySet

from .access import Access
from .isolation import scoped_country_ids
from .models import (
    Country,
    CountryCheckpoint,
    CountryEvent,
    CountryExport,
    CountryKey,
    KeyRotation,
    LedgerAlert,
    Membership,
    Organisation,
)


def country_list_visible(*, access: Access) -> QuerySet[Country]:
    return Country.objects.filter(pk__in=access.country_ids).order_by("name")


def country_get_visible(*, access: Access, code: str) -> Country | None:
    """The country with this code if the person may see it, else None (callers answer 404)."""
    code = (code or "").upper()
    if len(code) != 2 or not code.isalpha():
        return None
    return Country.objects.filter(code=code, pk__in=access.country_ids).first()


def organisation_list(*, country: Country) -> QuerySet[Organisation]:
    return Organisation.objects.filter(country=country).annotate(member_count=Count("memberships")).order_by("name")


def organisation_get(*, country: Country, pk) -> Organisation | None:
    try:
        return organisation_list(country=country).filter(pk=int(pk)).first()
    except (TypeError, ValueError):
        return None


def membership_list(*, country: Country, organisation: Organisation | None = None) -> QuerySet[Membership]:
    qs = Membership.objects.filter(country=country).select_related("user", "organisation")
    if organisation is not None:
        qs = qs.filter(organisation=organisation)
    return qs.order_by("user__last_name", "user__first_name", "user__username")


def membership_get(*, country: Country, pk) -> Membership | None:
    try:
        return membership_list(country=country).filter(pk=int(pk)).first()
    except (TypeError, ValueError):
        return None


def event_list(*, country: Country) -> QuerySet[CountryEvent]:
    return CountryEvent.objects.filter(country=country).order_by("-sequence")


# --- The ledger, as auditors read it ---------------------------------------------------------------

def event_actions(*, country: Country) -> list[str]:
    """The distinct actions on the country's chain, alphabetically. Read as a loose index scan (one
    probe of the (country, action, sequence) index per kind of action), so its cost follows the
    number of kinds of event, not the length of the chain."""
    if country.pk not in scoped_country_ids():  # raw SQL skips the manager: keep its fail-closed check
        return []
    table = connection.ops.quote_name(CountryEvent._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""WITH RECURSIVE found(action) AS (
                    SELECT MIN(action) FROM {table} WHERE country_id = %s
                    UNION ALL
                    SELECT (SELECT MIN(e.action) FROM {table} e WHERE e.country_id = %s AND e.action > found.action)
                    FROM found WHERE found.action IS NOT NULL
                )
                SELECT action FROM found WHERE action IS NOT NULL""",
            [country.pk, country.pk],
        )
        return [row[0] for row in cursor.fetchall()]


def event_search(*, country: Country, action: str = "", actor_role: str | None = None, at_from: datetime | None = None,
                 at_before: datetime | None = None, sequence_from: int | None = None,
                 sequence_to: int | None = None) -> QuerySet[CountryEvent]:
    """The country's events, newest first, narrowed by the filters given. `action` ending in "."
    is a family ("member." for every member.* action), otherwise one action; `actor_role` ""
    selects events of the system itself (no person)."""
    events = event_list(country=country)
    if action:
        events = events.filter(action__startswith=action) if action.endswith(".") else events.filter(action=action)
    if actor_role is not None:
        events = events.filter(actor_role=actor_role)
    if at_from is not None:
        events = events.filter(at__gte=at_from)
    if at_before is not None:
        events = events.filter(at__lt=at_before)
    if sequence_from is not None:
        events = events.filter(sequence__gte=sequence_from)
    if sequence_to is not None:
        events = events.filter(sequence__lte=sequence_to)
    return events


def chain_length(*, country: Country) -> int:
    """Events on the chain: the head's sequence number (one index probe, not a COUNT(*))."""
    return event_list(country=country).values_list("sequence", flat=True).first() or 0


def checkpoint_list(*, country: Country) -> QuerySet[CountryCheckpoint]:
    return CountryCheckpoint.objects.filter(country=country).order_by("-sequence")


def verification_last(*, country: Country) -> CountryEvent | None:
    """The latest verification a person ran from the audit pages."""
    return event_list(country=country).filter(action="ledger.verified_by_auditor").first()


def ledger_alerts_visible(*, access: Access) -> QuerySet[LedgerAlert]:
    """Unresolved ledger alerts this person is told about: every one for a platform admin, those
    of their countries' chains for an auditor, none for anyone else."""
    alerts = LedgerAlert.objects.filter(resolved_at__isnull=True).order_by("-found_at")
    if access.is_platform_admin:
        return alerts
    if access.auditor_country_ids:
        # One query: the country codes come from a subquery, not a second round trip.
        return alerts.filter(chain__in=Country.objects.filter(pk__in=access.auditor_country_ids).values("code"))
    return alerts.none()


# --- Keys and exports of a country ---------------------------------------------------------------

def country_key_summary(*, country: Country) -> dict:
    """The active key's id and date and how many keys are retired or destroyed; never key material."""
    keys = CountryKey.objects.filter(country=country)
    active = keys.filter(state=CountryKey.State.ACTIVE).values("key_id", "created_at").first()
    by_state = dict(keys.order_by().values_list("state").annotate(n=Count("id")))
    return {
        "active": active,
        "retired_count": by_state.get(CountryKey.State.RETIRED, 0),
        "destroyed": by_state.get(CountryKey.State.DESTROYED, 0) > 0,
    }


def key_rotation_list(*, country: Country) -> QuerySet[KeyRotation]:
    return KeyRotation.objects.filter(country=country).order_by("-created_at", "-pk")


def country_export_list(*, country: Country) -> QuerySet[CountryExport]:
    return CountryExport.objects.filter(country=country).select_related("requested_by").order_by("-created_at", "-pk")


def country_export_get(*, country: Country, pk) -> CountryExport | None:
    try:
        return country_export_list(country=country).filter(pk=int(pk)).first()
    except (TypeError, ValueError):
        return None

