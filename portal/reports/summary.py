"""The cross-country summary of a partner manager, an auditor or the platform admin: for each
country they read, counts only (no names, no text), one grouped query per table whatever the number
of countries. The API (`compliance-summary/`) and the summary page (/summary/) give the same
countries (`summary_country_ids`) and the same figures: both are read by
`portal.dashboards.country_figures` and laid out by `portal.dashboards.summary_rows`; the API adds
the ledger events of the period asked for."""

from __future__ import annotations

from django.db.models import Count

from tenants.access import Access
from tenants.isolation import country_context
from tenants.models import Country
from tenants.record.models import CountryEvent

from .. import dashboards
from .sections import Period

# The page's figures, under the same names in the API.
PAGE_FIELDS = (
    "engagement_state",
    "steps_done",
    "steps",
    "policies_published",
    "ack_current",
    "ack_required",
    "assessments_completed",
    "assessments_high_risk",
    "trained",
    "training_total",
    "environments_active",
    "requests_waiting",
    "incidents_open",
    "incidents_late",
)


def summary_country_ids(access: Access) -> list[int]:
    """The countries whose summary a person reads: those they audit or manage as a partner; the
    platform admin's, every country. Nobody else's."""
    if access.is_platform_admin:
        return list(Country.objects.order_by("code").values_list("pk", flat=True))
    return sorted(access.auditor_country_ids | access.partner_country_ids)


def summary_read(*, access: Access, period: Period) -> list[dict]:
    ids = summary_country_ids(access)
    if not ids:
        return []
    start, end = period.bounds()
    countries = list(Country.objects.filter(pk__in=ids).order_by("code"))
    figures = dashboards.country_figures(country_ids=ids)
    with country_context(ids):
        events = dict(
            CountryEvent.objects.filter(country_id__in=ids, at__gte=start, at__lt=end)
            .values("country_id")
            .annotate(n=Count("id"))
            .order_by()
            .values_list("country_id", "n")
        )
    rows = []
    for country, page_row in zip(countries, dashboards.summary_rows(countries, figures), strict=True):
        row = {"country": country.code, "events": events.get(country.pk, 0)}
        row.update({key: page_row[key] for key in PAGE_FIELDS})
        row["incidents"] = figures[country.pk]["incidents"]
        rows.append(row)
    return rows
