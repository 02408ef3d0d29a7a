"""Reads of the tenants app, already scoped to what the asking person may see."""

from __future__ import annotations

from django.db.models import Count, QuerySet

from tenants.access import Access
from tenants.models import Country, Membership, Organisation


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


def country_count_facts(*, country: Country) -> dict:
    """The overview's counts, as expressions another query can hold (tenants.onboarding reads them
    with the task list, in one query): organisations, active members and pending invitations."""
    from tenants.onboarding import CountOf

    members = Membership.objects.filter(country=country)
    return {
        "organisations": CountOf(Organisation.objects.filter(country=country)),
        "active_members": CountOf(members.filter(status=Membership.Status.ACTIVE)),
        "invited_members": CountOf(members.filter(status=Membership.Status.INVITED)),
    }


def organisation_get(*, country: Country, pk) -> Organisation | None:
    try:
        return organisation_list(country=country).filter(pk=int(pk)).first()
    except (TypeError, ValueError):
        return None


def membership_list(*, country: Country, organisation: Organisation | None = None) -> QuerySet[Membership]:
    qs = Membership.objects.filter(country=country).select_related("user", "organisation", "invitation")
    if organisation is not None:
        qs = qs.filter(organisation=organisation)
    return qs.order_by("user__last_name", "user__first_name", "user__username")


# What a row of the API's member list shows (tenants.api.MemberSerializer): the person's names, the
# organisation's name, and the names typed on an invitation not yet accepted; nothing sealed but those.
MEMBER_ROW_FIELDS = (
    "id",
    "role",
    "status",
    "job_title",
    "created_at",
    "user__id",
    "user__username",
    "user__first_name",
    "user__last_name",
    "organisation__id",
    "organisation__name",
    "invitation__id",
    "invitation__country",  # the key that opens the names below
    "invitation__invited_first_name",
    "invitation__invited_last_name",
)


def membership_rows(*, country: Country) -> QuerySet[Membership]:
    """The country's memberships with only what a list's row shows (membership_list reads every
    column of the person, the organisation and the invitation)."""
    return membership_list(country=country).only(*MEMBER_ROW_FIELDS)


def membership_get(*, country: Country, pk) -> Membership | None:
    try:
        return membership_list(country=country).filter(pk=int(pk)).first()
    except (TypeError, ValueError):
        return None


# --- The ledger, as auditors read it ---------------------------------------------------------------


# --- Keys and exports of a country ---------------------------------------------------------------
