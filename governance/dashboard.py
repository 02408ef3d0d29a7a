"""Governance figures of several countries at once, for the dashboards and the compliance summary
(portal/dashboards.py, portal/reports/summary.py): one grouped query per table whatever the data
and the number of countries, by the same rules as the per-country selectors; and one country's
figures for its overview as expressions, read with its onboarding steps in one query."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Count, Expression, F, OuterRef, Q
from django.utils import timezone

from tenants.models import Country
from tenants.onboarding import CountOf

from .acknowledgements import acknowledgement_facts, acknowledgement_totals
from .models import ImpactAssessment, Incident, PolicyVersion

DUE_SOON_DAYS = 7
INCIDENT_DEADLINES = ("overdue", "due_soon", "on_time", "reported_late")


CLOSED = (Incident.Status.RESOLVED, Incident.Status.CLOSED)  # an incident no longer open


def _deadline_rules(now) -> dict[str, Q]:
    """Each incident by its reporting deadline: overdue (not reported, past the deadline), due_soon
    (not reported, due within DUE_SOON_DAYS), on_time (reported by the deadline, or due later),
    reported_late (reported after the deadline)."""
    soon = now + timedelta(days=DUE_SOON_DAYS)
    unreported = Q(reported_at__isnull=True)
    return {
        "overdue": unreported & Q(report_due_at__lt=now),
        "due_soon": unreported & Q(report_due_at__gte=now, report_due_at__lte=soon),
        "on_time": Q(reported_at__lte=F("report_due_at")) | (unreported & Q(report_due_at__gt=soon)),
        "reported_late": Q(reported_at__gt=F("report_due_at")),
    }


def overview_facts(country) -> dict[str, Expression]:
    """The governance figures of one country's overview charts, as expressions read with its
    onboarding steps in one query (tenants.dashboard), by the rules of dashboard_figures:
    completed assessments by risk level and drafts, open incidents by severity, every incident by
    its reporting deadline. `overview_figures` shapes their values as dashboard_figures does."""
    assessments = ImpactAssessment.objects.filter(country=country)
    incidents = Incident.objects.filter(country=country)
    facts: dict[str, Expression] = {
        f"assessments_{category}": CountOf(
            assessments.filter(status=ImpactAssessment.Status.COMPLETED, category=category)
        )
        for category in ImpactAssessment.Category.values
    }
    facts["assessments_draft"] = CountOf(assessments.filter(status=ImpactAssessment.Status.DRAFT))
    for severity in Incident.Severity.values:
        facts[f"incidents_open_{severity}"] = CountOf(incidents.filter(severity=severity).exclude(status__in=CLOSED))
    for key, rule in _deadline_rules(timezone.now()).items():
        facts[f"incidents_{key}"] = CountOf(incidents.filter(rule))
    return facts


def overview_figures(values: dict) -> dict:
    """The values of `overview_facts`, shaped as the figures of dashboard_figures."""
    return {
        "assessments_by_category": {
            key: values[f"assessments_{key}"] for key in [*ImpactAssessment.Category.values, "draft"]
        },
        "incidents_by_severity": {key: values[f"incidents_open_{key}"] for key in Incident.Severity.values},
        "incidents_by_deadline": {key: values[f"incidents_{key}"] for key in INCIDENT_DEADLINES},
    }


def _grouped(queryset, **counts) -> dict[int, dict]:
    return {row.pop("country_id"): row for row in queryset.values("country_id").annotate(**counts).order_by()}


def dashboard_figures(*, country_ids: list[int]) -> dict[int, dict]:
    """Governance figures of each country in `country_ids`, read in the caller's country context
    (which must open all of them), with one grouped query per table whatever the data holds:

    - ack_required / ack_current: the rule of governance/acknowledgements.py;
    - policies_published, assessments_completed, assessments_high_risk, incidents, incidents_open,
      incidents_late: the figures of the compliance summary (portal.reports.summary);
    - assessments_on_record: completed or superseded (the onboarding step's rule);
    - assessments_by_category: completed assessments by risk level, plus "draft";
    - incidents_by_severity: open incidents (not resolved or closed) by severity;
    - incidents_by_deadline: every incident by its reporting deadline: overdue (not reported, past
      the deadline), due_soon (not reported, due within DUE_SOON_DAYS), on_time (reported by the
      deadline, or due later), reported_late (reported after the deadline)."""
    now = timezone.now()
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

    # Acknowledgements: the rule of governance/acknowledgements.py, for every country in one query.
    for row in Country.objects.filter(pk__in=country_ids).values("pk", **acknowledgement_facts(OuterRef("pk"))):
        figures[row["pk"]]["ack_required"], figures[row["pk"]]["ack_current"] = acknowledgement_totals(row)

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

    deadline = {key: Count("id", filter=rule) for key, rule in _deadline_rules(now).items()}
    for row in (
        Incident.objects.filter(country_id__in=country_ids)
        .values("country_id", "severity")
        .annotate(n=Count("id"), open=Count("id", filter=~Q(status__in=CLOSED)), **deadline)
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
