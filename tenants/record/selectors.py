"""Reads of the record, scoped to one country (callers are inside its context), and the alerts a person may see."""

from __future__ import annotations

from datetime import datetime

from django.db import connection
from django.db.models import QuerySet

from tenants.access import Access
from tenants.isolation import scoped_country_ids
from tenants.models import Country
from tenants.record.models import CountryCheckpoint, CountryEvent, LedgerAlert, PlatformEvent

# The portal's own events (a worker, beat, a scheduled move) have no person acting: no actor, and
# either no role or the role "system" the services that act for nobody write. Either word selects them.
SYSTEM_ROLE = "system"
SYSTEM_ROLES = ("", SYSTEM_ROLE)


def event_list(*, country: Country) -> QuerySet[CountryEvent]:
    """The chained events, newest first. An event committed but not chained yet (for the moment
    between its transaction's commit and the chaining that follows it) is not on the chain and is
    not listed."""
    return CountryEvent.objects.filter(country=country, sequence__isnull=False).order_by("-sequence")


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


def event_search(
    *,
    country: Country,
    action: str = "",
    actor_role: str | None = None,
    actor_label: str = "",
    at_from: datetime | None = None,
    at_before: datetime | None = None,
    sequence_from: int | None = None,
    sequence_to: int | None = None,
) -> QuerySet[CountryEvent]:
    """The country's events, newest first, narrowed by the filters given. `action` ending in "."
    is a family ("member." for every member.* action), otherwise one action; `actor_role` "" or
    "system" selects events of the portal itself (no person acting, whichever of the two roles its
    service wrote); `actor_label` is part of the name shown for the person."""
    events = event_list(country=country)
    if action:
        events = events.filter(action__startswith=action) if action.endswith(".") else events.filter(action=action)
    if actor_role in SYSTEM_ROLES:
        events = events.filter(actor_id__isnull=True, actor_role__in=SYSTEM_ROLES)
    elif actor_role is not None:
        events = events.filter(actor_role=actor_role)
    if actor_label:
        events = events.filter(actor_label__icontains=actor_label)
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


def platform_chain_length() -> int:
    """Events on the platform chain: its head's sequence number (one index probe)."""
    return (
        PlatformEvent.objects.filter(sequence__isnull=False).order_by("-sequence").values_list("sequence", flat=True)
    ).first() or 0


def platform_events_latest(*, size: int) -> list[PlatformEvent]:
    """The newest `size` events of the platform chain (chained ones only), newest first: one query."""
    return list(PlatformEvent.objects.filter(sequence__isnull=False).order_by("-sequence")[:size])


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
