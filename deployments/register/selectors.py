"""Reads of the register. The internal ones run in the country's context, for the people who may
see the country; the public ones run in the public reading mode (tenants.isolation.
public_country_context), where the database itself admits only published rows, and read nothing
but the register's own tables and the name of a person who chose to be named."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from tenants.ids import parse_id
from tenants.models import Country

from ..models import DeploymentRequest
from .models import RegisterEntry, RegisterVersion
from .services import DRAFTABLE

V = RegisterVersion.Status


# --- Inside the country ----------------------------------------------------------------------------


def entry_list(*, country: Country) -> QuerySet[RegisterEntry]:
    """Entries with all their versions, newest first (two queries)."""
    return (
        RegisterEntry.objects.filter(country=country)
        .select_related("request")
        .prefetch_related(Prefetch("versions", queryset=RegisterVersion.objects.order_by("-number")))
        .order_by("-created_at", "-id")
    )


def entry_get(*, country: Country, pk) -> RegisterEntry | None:
    pk = parse_id(pk)
    return entry_list(country=country).filter(pk=pk).first() if pk else None


def entry_for_request(*, request: DeploymentRequest) -> RegisterEntry | None:
    return RegisterEntry.objects.filter(country_id=request.country_id, request=request).first()


def draftable_requests(*, country: Country) -> QuerySet[DeploymentRequest]:
    """Deployments that may get a register entry and have none yet."""
    return (
        DeploymentRequest.objects.filter(country=country, state__in=DRAFTABLE, register_entry__isnull=True)
        .select_related("organisation")
        .order_by("title", "id")
    )


def request_get(*, country: Country, pk) -> DeploymentRequest | None:
    pk = parse_id(pk)
    if pk is None:
        return None
    return (
        DeploymentRequest.objects.filter(country=country, pk=pk)
        .select_related("organisation", "model", "owner")
        .first()
    )


# --- For the public (in the public reading mode) ---------------------------------------------------


def public_current_versions(*, country: Country) -> list[RegisterVersion]:
    """The published version of every published entry, by name: one query."""
    return list(
        RegisterVersion.objects.filter(country=country, status=V.PUBLISHED, entry__state=RegisterEntry.State.PUBLISHED)
        .select_related("entry__named_contact")
        .order_by("name", "entry_id")
    )


def public_histories(*, country: Country) -> dict[int, list[RegisterVersion]]:
    """Every published entry's public versions, by entry: one query."""
    histories: dict[int, list[RegisterVersion]] = {}
    for version in RegisterVersion.objects.filter(
        country=country, status__in=(V.PUBLISHED, V.SUPERSEDED), entry__state=RegisterEntry.State.PUBLISHED
    ).order_by("entry_id", "number"):
        histories.setdefault(version.entry_id, []).append(version)
    return histories


def public_withdrawn_entries(*, country: Country) -> list[RegisterEntry]:
    return list(
        RegisterEntry.objects.filter(country=country, state=RegisterEntry.State.WITHDRAWN).order_by(
            "-withdrawn_at", "id"
        )
    )


def public_entry(*, country: Country, pk) -> RegisterEntry | None:
    """A published or withdrawn entry; never a draft."""
    pk = parse_id(pk)
    if pk is None:
        return None
    return (
        RegisterEntry.objects.filter(
            country=country, pk=pk, state__in=(RegisterEntry.State.PUBLISHED, RegisterEntry.State.WITHDRAWN)
        )
        .select_related("named_contact")
        .first()
    )


def public_versions(*, entry: RegisterEntry) -> list[RegisterVersion]:
    """The versions the public may read of an entry: those published, for a published entry only.
    A withdrawn entry's content is not shown at all, not even as history."""
    if entry.state != RegisterEntry.State.PUBLISHED:
        return []
    return list(
        RegisterVersion.objects.filter(
            country_id=entry.country_id, entry=entry, status__in=(V.PUBLISHED, V.SUPERSEDED)
        ).order_by("-number")
    )


def named_contact(entry: RegisterEntry) -> str:
    """The accountable person's name, if and only if they chose to be named."""
    person = entry.named_contact
    if person is None or not person.is_active or person.pk != entry.named_contact_id:
        return ""
    return person.get_full_name() or ""


def public_register_countries() -> list[tuple[Country, int]]:
    """The countries whose register publishes something (an entry published, or withdrawn with its
    reason), each with the number of AI systems it publishes now, by name. Each country is read in
    its own public reading mode, the only one in which the database shows a register to anyone:
    one query of the countries, then one per country (a programme holds a few dozen)."""
    from tenants.isolation import public_country_context

    found = []
    for country in Country.objects.order_by("name"):
        with public_country_context(country):
            states = list(RegisterEntry.objects.filter(country=country).values_list("state", flat=True)[:1000])
        if states:
            found.append((country, sum(state == RegisterEntry.State.PUBLISHED for state in states)))
    return sorted(found, key=lambda item: item[0].display_name)  # by the name the reader reads
