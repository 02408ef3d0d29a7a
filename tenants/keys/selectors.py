"""Reads of a country's keys, rotations, exports and erasures (inside its country context)."""

from __future__ import annotations

from django.db.models import Count, QuerySet

from tenants.keys.models import CountryExport, CountryKey, KeyRotation, MemberErasure
from tenants.models import Country


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


def erasure_done_list(*, country: Country) -> QuerySet[MemberErasure]:
    return MemberErasure.objects.filter(country=country, state=MemberErasure.State.DONE).order_by(
        "-confirmed_at", "-pk"
    )
