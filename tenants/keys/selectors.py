"""Reads of a country's keys, rotations, exports and erasures (inside its country context)."""

from __future__ import annotations

from django.db.models import Exists, QuerySet, Subquery

from tenants.keys.models import CountryExport, CountryKey, KeyRotation, MemberErasure
from tenants.models import Country


def country_key_summary(*, country: Country) -> dict:
    """The active key's id and date and how many keys are retired or destroyed; never key material."""
    from tenants.onboarding import CountOf, read_facts

    keys = CountryKey.objects.filter(country=country)
    active = keys.filter(state=CountryKey.State.ACTIVE).order_by("-created_at")
    values = read_facts(  # one query
        country,
        {
            "active_key_id": Subquery(active.values("key_id")[:1]),
            "active_created_at": Subquery(active.values("created_at")[:1]),
            "retired_count": CountOf(keys.filter(state=CountryKey.State.RETIRED)),
            "destroyed": Exists(keys.filter(state=CountryKey.State.DESTROYED)),
        },
    )
    return {
        "active": {"key_id": values["active_key_id"], "created_at": values["active_created_at"]}
        if values["active_key_id"]
        else None,
        "retired_count": values["retired_count"],
        "destroyed": values["destroyed"],
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


def erasure_done_list(*, country: Country) -> QuerySet[MemberErasure]:
    return MemberErasure.objects.filter(country=country, state=MemberErasure.State.DONE).order_by(
        "-confirmed_at", "-pk"
    )
