"""The cross-country summary of a partner manager or auditor: for each assigned country, counts
only (no names, no text), read in one context that opens exactly the assigned countries, one
grouped query per table whatever the number of countries. The API (`compliance-summary/`) and the
summary page (/summary/) read the same figures: governance's from governance.dashboard."""

from __future__ import annotations

from django.db.models import Count

from governance import dashboard as governance_figures
from tenants.access import Access
from tenants.isolation import country_context
from tenants.models import Country
from tenants.record.models import CountryEvent

from .sections import Period

SUMMARY_FIELDS = (
    "incidents",
    "incidents_open",
    "incidents_late",
    "assessments_completed",
    "assessments_high_risk",
    "policies_published",
)


def summary_country_ids(access: Access) -> list[int]:
    """The countries whose summary a person reads: those they audit or manage as a partner; the
    platform admin's, every country. Nobody else's."""
    if access.is_platform_admin:
        return list(Country.objects.order_by("code").values_list("pk", flat=True))
    return sorted(access.auditor_country_ids | access.partner_country_ids)


def _grouped(queryset, **counts) -> dict[int, dict]:
    return {row.pop("country_id"): row for row in queryset.values("country_id").annotate(**counts).order_by()}


def summary_read(*, access: Access, period: Period) -> list[dict]:
    ids = sorted(access.auditor_country_ids | access.partner_country_ids)
    if not ids:
        return []
    start, end = period.bounds()
    with country_context(ids):
        countries = list(Country.objects.filter(pk__in=ids).order_by("code").values("pk", "code"))
        events = _grouped(
            CountryEvent.objects.filter(country_id__in=ids, at__gte=start, at__lt=end), events=Count("id")
        )
        figures = governance_figures.dashboard_figures(country_ids=ids)
    rows = []
    for country in countries:
        row = {"country": country["code"], "events": events.get(country["pk"], {}).get("events", 0)}
        row.update({key: figures[country["pk"]][key] for key in SUMMARY_FIELDS})
        rows.append(row)
    return rows
