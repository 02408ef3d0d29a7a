"""The cross-country summary of a partner manager or auditor: for each assigned country, counts
only (no names, no text), read in one context that opens exactly the assigned countries, one
grouped query per table whatever the number of countries."""

from __future__ import annotations

from django.db.models import Count, F, Q
from django.utils import timezone

from governance.models import ImpactAssessment, Incident, PolicyVersion
from tenants.access import Access
from tenants.isolation import country_context
from tenants.models import Country
from tenants.record.models import CountryEvent

from .sections import Period


def _grouped(queryset, **counts) -> dict[int, dict]:
    return {row.pop("country_id"): row for row in queryset.values("country_id").annotate(**counts).order_by()}


def summary_read(*, access: Access, period: Period) -> list[dict]:
    ids = sorted(access.auditor_country_ids | access.partner_country_ids)
    if not ids:
        return []
    start, end = period.bounds()
    now = timezone.now()
    with country_context(ids):
        countries = list(Country.objects.filter(pk__in=ids).order_by("code").values("pk", "code"))
        events = _grouped(
            CountryEvent.objects.filter(country_id__in=ids, at__gte=start, at__lt=end), events=Count("id")
        )
        incidents = _grouped(
            Incident.objects.filter(country_id__in=ids),
            incidents=Count("id"),
            incidents_open=Count("id", filter=~Q(status__in=["resolved", "closed"])),
            incidents_late=Count(
                "id", filter=Q(reported_at__gt=F("report_due_at")) | Q(reported_at__isnull=True, report_due_at__lt=now)
            ),
        )
        assessments = _grouped(
            ImpactAssessment.objects.filter(country_id__in=ids, status="completed"),
            assessments_completed=Count("id"),
            assessments_high_risk=Count("id", filter=Q(category="high_risk")),
        )
        policies = _grouped(
            PolicyVersion.objects.filter(country_id__in=ids, status="published"),
            policies_published=Count("policy_id", distinct=True),
        )
    rows = []
    for country in countries:
        row = {
            "country": country["code"],
            "events": 0,
            "incidents": 0,
            "incidents_open": 0,
            "incidents_late": 0,
            "assessments_completed": 0,
            "assessments_high_risk": 0,
            "policies_published": 0,
        }
        for source in (events, incidents, assessments, policies):
            row.update(source.get(country["pk"], {}))
        rows.append(row)
    return rows
