"""Governance figures of several countries at once, for the dashboards and the compliance summary
(portal/dashboards.py, portal/reports/summary.py): one grouped query per table whatever the data
and the number of countries, by the same rules as the per-country selectors."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Count, F, OuterRef, Q, Subquery
from django.utils import timezone

from tenants.models import Membership

from .models import Acknowledgement, ImpactAssessment, Incident, PolicyVersion

DUE_SOON_DAYS = 7
INCIDENT_DEADLINES = ("overdue", "due_soon", "on_time", "reported_late")


def _grouped(queryset, **counts) -> dict[int, dict]:
    return {row.pop("country_id"): row for row in queryset.values("country_id").annotate(**counts).order_by()}


def dashboard_figures(*, country_ids: list[int]) -> dict[int, dict]:
    """Governance figures of each country in `country_ids`, read in the caller's country context
    (which must open all of them), with one grouped query per table whatever the data holds:

    - ack_required / ack_current: the rule of acknowledgement_state (active members × the current
      version of each policy that applies to their role; current = not expired);
    - policies_published, assessments_completed, assessments_high_risk, incidents, incidents_open,
      incidents_late: the figures of the compliance summary (portal.reports.summary);
    - assessments_on_record: completed or superseded (the onboarding step's rule);
    - assessments_by_category: completed assessments by risk level, plus "draft";
    - incidents_by_severity: open incidents (not resolved or closed) by severity;
    - incidents_by_deadline: every incident by its reporting deadline: overdue (not reported, past
      the deadline), due_soon (not reported, due within DUE_SOON_DAYS), on_time (reported by the
      deadline, or due later), reported_late (reported after the deadline)."""
    now = timezone.now()
    soon = now + timedelta(days=DUE_SOON_DAYS)
    figures = {
        cid: {
            "ack_required": 0,
            "ack_current": 0,
            "policies_published": 0,
            "assessments_completed": 0,
            "assessments_high_risk": 0,
            "assessments_on_record": 0,
            "assessments_by_category": dict.fromkeys([*ImpactAssessment.Category.values, "draft"], 0),
            "incidents": 0,
            "incidents_open": 0,
            "incidents_late": 0,
            "incidents_by_severity": dict.fromkeys(Incident.Severity.values, 0),
            "incidents_by_deadline": dict.fromkeys(INCIDENT_DEADLINES, 0),
        }
        for cid in country_ids
    }
    if not country_ids:
        return figures

    # Acknowledgements: the current version of each policy (few rows), active members by role, and
    # the current acknowledgements of current versions with the role of the person who gave them.
    latest = PolicyVersion.objects.filter(policy=OuterRef("policy"), status=PolicyVersion.Status.PUBLISHED).order_by(
        "-number"
    )
    versions = list(
        PolicyVersion.objects.filter(
            country_id__in=country_ids, status=PolicyVersion.Status.PUBLISHED, pk=Subquery(latest.values("pk")[:1])
        ).values_list("pk", "country_id", "roles")
    )
    people = {
        (row["country_id"], row["role"]): row["n"]
        for row in Membership.objects.filter(country_id__in=country_ids, status=Membership.Status.ACTIVE)
        .values("country_id", "role")
        .annotate(n=Count("id"))
        .order_by()
    }
    version_roles = {pk: set(roles or []) for pk, _country, roles in versions}
    for pk, country_id, _roles in versions:
        figures[country_id]["ack_required"] += sum(people.get((country_id, role), 0) for role in version_roles[pk])
    if versions:
        role = Membership.objects.filter(
            country_id=OuterRef("country_id"), user_id=OuterRef("user_id"), status=Membership.Status.ACTIVE
        ).values("role")[:1]
        for row in (
            Acknowledgement.objects.filter(
                country_id__in=country_ids, version_id__in=list(version_roles), expires_at__gt=now
            )
            .annotate(role=Subquery(role))
            .values("country_id", "version_id", "role")
            .annotate(n=Count("user_id", distinct=True))
            .order_by()
        ):
            if row["role"] in version_roles[row["version_id"]]:
                figures[row["country_id"]]["ack_current"] += row["n"]

    for country_id, row in _grouped(
        PolicyVersion.objects.filter(country_id__in=country_ids, status=PolicyVersion.Status.PUBLISHED),
        n=Count("policy_id", distinct=True),
    ).items():
        figures[country_id]["policies_published"] = row["n"]

    for row in (
        ImpactAssessment.objects.filter(
            country_id__in=country_ids, status__in=[ImpactAssessment.Status.COMPLETED, ImpactAssessment.Status.DRAFT]
        )
        .values("country_id", "status", "category")
        .annotate(n=Count("id"))
        .order_by()
    ):
        target = figures[row["country_id"]]
        if row["status"] == ImpactAssessment.Status.DRAFT:
            target["assessments_by_category"]["draft"] += row["n"]
            continue
        target["assessments_on_record"] += row["n"]
        if row["status"] == ImpactAssessment.Status.SUPERSEDED:
            continue
        target["assessments_completed"] += row["n"]
        if row["category"] in target["assessments_by_category"]:
            target["assessments_by_category"][row["category"]] += row["n"]
        if row["category"] == ImpactAssessment.Category.HIGH_RISK:
            target["assessments_high_risk"] += row["n"]

    closed = [Incident.Status.RESOLVED, Incident.Status.CLOSED]
    unreported = Q(reported_at__isnull=True)
    deadline = {
        "overdue": Count("id", filter=unreported & Q(report_due_at__lt=now)),
        "due_soon": Count("id", filter=unreported & Q(report_due_at__gte=now, report_due_at__lte=soon)),
        "on_time": Count(
            "id", filter=Q(reported_at__lte=F("report_due_at")) | (unreported & Q(report_due_at__gt=soon))
        ),
        "reported_late": Count("id", filter=Q(reported_at__gt=F("report_due_at"))),
    }
    for row in (
        Incident.objects.filter(country_id__in=country_ids)
        .values("country_id", "severity")
        .annotate(n=Count("id"), open=Count("id", filter=~Q(status__in=closed)), **deadline)
        .order_by()
    ):
        target = figures[row["country_id"]]
        target["incidents"] += row["n"]
        target["incidents_open"] += row["open"]
        target["incidents_late"] += row["overdue"] + row["reported_late"]
        severities = target["incidents_by_severity"]
        severities[row["severity"]] = severities.get(row["severity"], 0) + row["open"]
        for key in INCIDENT_DEADLINES:
            target["incidents_by_deadline"][key] += row[key]
    return figures
