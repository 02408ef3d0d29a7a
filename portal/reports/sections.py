"""The sections of a country compliance pack: each is a title, columns and rows read from its app's
models inside the country's context (so the scoped manager and row-level security both apply).

Sections hold ids, states, dates and counts: no names of people, no sealed text. Each query runs
once per section whatever the number of rows (no per-row queries)."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_noop

from deployments.models import DeploymentDecision, DeploymentRequest, ProvisioningJob
from engagements.models import Engagement, EngagementTerms, EngagementTransition
from governance.models import Acknowledgement, ImpactAssessment, Incident, PolicyVersion, RequirementStatus
from portal.reports import dialogue
from tenants.isolation import country_context
from tenants.models import Country, Membership
from tenants.record.models import CountryCheckpoint, CountryEvent
from training.models import Enrolment


@dataclass
class Period:
    start: dt.date
    end: dt.date

    def bounds(self) -> tuple[dt.datetime, dt.datetime]:
        """[start 00:00, the day after end 00:00) in the portal's time zone."""
        tz = timezone.get_current_timezone()
        return (
            dt.datetime.combine(self.start, dt.time.min, tzinfo=tz),
            dt.datetime.combine(self.end + dt.timedelta(days=1), dt.time.min, tzinfo=tz),
        )


@dataclass
class Section:
    name: str  # file and sheet name: short, lowercase, no spaces
    title: str  # English, the catalogue's message id: the PDF summary shows it in the reader's language
    columns: list[str]
    rows: list[list[Any]] = field(default_factory=list)
    note: str = ""


def engagements(country: Country, period: Period) -> Section:
    rows = [
        [e.pk, e.organisation_id, e.state, e.amendment, e.approved_terms_id, e.created_at, e.submitted_at, e.updated_at]
        for e in Engagement.objects.filter(country_id=country.pk).order_by("pk")
    ]
    return Section(
        "engagements",
        gettext_noop("Engagements"),
        [
            "engagement_id",
            "organisation_id",
            "state",
            "amendment",
            "approved_terms_id",
            "created_at",
            "submitted_at",
            "updated_at",
        ],
        rows,
    )


def engagement_terms(country: Country, period: Period) -> Section:
    terms = (
        EngagementTerms.objects.filter(country_id=country.pk)
        .order_by("engagement_id", "version")
        .only(
            "id",
            "engagement_id",
            "version",
            "sectors",
            "capabilities",
            "residency_region",
            "monthly_token_quota",
            "start_date",
            "end_date",
            "economic_model",
            "created_at",
            "country_id",
        )
    )
    rows = [
        [
            t.pk,
            t.engagement_id,
            t.version,
            " ".join(t.sectors),
            " ".join(t.capabilities),
            t.residency_region,
            t.monthly_token_quota,
            t.start_date,
            t.end_date,
            t.economic_model,
            t.created_at,
        ]
        for t in terms
    ]
    return Section(
        "terms",
        gettext_noop("Engagement terms (every version)"),
        [
            "terms_id",
            "engagement_id",
            "version",
            "sectors",
            "capabilities",
            "residency_region",
            "monthly_token_quota",
            "start_date",
            "end_date",
            "economic_model",
            "created_at",
        ],
        rows,
    )


def engagement_history(country: Country, period: Period) -> Section:
    start, end = period.bounds()
    rows = [
        [t.engagement_id, t.at, t.action, t.from_state, t.to_state, t.amendment, t.terms_version, t.by_id, t.by_role]
        for t in EngagementTransition.objects.filter(country_id=country.pk, at__gte=start, at__lt=end).order_by(
            "at", "pk"
        )
    ]
    return Section(
        "engagement_history",
        gettext_noop("Engagement decisions in the period"),
        [
            "engagement_id",
            "at",
            "action",
            "from_state",
            "to_state",
            "amendment",
            "terms_version",
            "by_user_id",
            "by_role",
        ],
        rows,
    )


def _active_members(country: Country) -> list[tuple[int, str, int]]:
    return list(
        Membership.objects.filter(country_id=country.pk, status=Membership.Status.ACTIVE).values_list(
            "user_id", "role", "organisation_id"
        )
    )


def policies(country: Country, period: Period) -> Section:
    """Published versions with the share of the people they apply to who acknowledged them."""
    now = timezone.now()
    members = _active_members(country)
    acknowledged: dict[int, set[int]] = defaultdict(set)
    for version_id, user_id in Acknowledgement.objects.filter(country_id=country.pk, expires_at__gt=now).values_list(
        "version_id", "user_id"
    ):
        acknowledged[version_id].add(user_id)
    rows = []
    versions = (
        PolicyVersion.objects.filter(country_id=country.pk, status=PolicyVersion.Status.PUBLISHED)
        .select_related("policy")
        .order_by("policy_id", "number")
    )
    for version in versions:
        roles = set(version.roles or [])
        required = {user for user, role, _ in members if role in roles}
        done = len(required & acknowledged[version.pk])
        rows.append(
            [
                version.policy_id,
                version.policy.title,
                version.number,
                ",".join(sorted(roles)),
                version.published_at,
                len(required),
                done,
                round(100 * done / len(required), 1) if required else 100.0,
            ]
        )
    return Section(
        "policies",
        gettext_noop("Policies and acknowledgement coverage"),
        [
            "policy_id",
            "title",
            "version",
            "roles",
            "published_at",
            "people_required",
            "people_acknowledged",
            "coverage_percent",
        ],
        rows,
    )


def training_coverage(country: Country, period: Period) -> Section:
    """Active members by organisation and role, and how many completed at least one programme."""
    completed = Enrolment.objects.filter(
        country_id=country.pk, user_id=OuterRef("user_id"), status=Enrolment.Status.COMPLETED
    )
    groups = (
        Membership.objects.filter(country_id=country.pk, status=Membership.Status.ACTIVE)
        .annotate(trained=Exists(completed))
        .values("organisation_id", "organisation__name", "role")
        .annotate(members=Count("id"), trained_members=Count("id", filter=Q(trained=True)))
        .order_by("organisation__name", "role")
    )
    rows = [
        [
            g["organisation_id"],
            g["organisation__name"],
            g["role"],
            g["members"],
            g["trained_members"],
            round(100 * g["trained_members"] / g["members"], 1) if g["members"] else 0.0,
        ]
        for g in groups
    ]
    return Section(
        "training",
        gettext_noop("Training coverage by organisation and role"),
        ["organisation_id", "organisation", "role", "members", "members_trained", "coverage_percent"],
        rows,
    )


def assessments(country: Country, period: Period) -> Section:
    rows = [
        [
            a.pk,
            a.title,
            a.use_reference,
            a.status,
            a.impact_level,
            a.category,
            len(a.obligations or []),
            a.created_at,
            a.completed_at,
        ]
        for a in ImpactAssessment.objects.filter(country_id=country.pk)
        .order_by("pk")
        .only(
            "id",
            "title",
            "use_reference",
            "status",
            "impact_level",
            "category",
            "obligations",
            "created_at",
            "completed_at",
            "country_id",
        )
    ]
    return Section(
        "assessments",
        gettext_noop("Impact assessments with levels and categories"),
        [
            "assessment_id",
            "title",
            "use_reference",
            "status",
            "impact_level",
            "category",
            "obligations",
            "created_at",
            "completed_at",
        ],
        rows,
    )


def incidents(country: Country, period: Period) -> Section:
    now = timezone.now()
    rows = []
    for i in (
        Incident.objects.filter(country_id=country.pk)
        .order_by("detected_at", "pk")
        .only(
            "id",
            "title",
            "deployment_reference",
            "assessment_id",
            "severity",
            "status",
            "people_affected",
            "detected_at",
            "report_due_at",
            "reported_at",
            "country_id",
        )
    ):
        late = (i.reported_at or now) > i.report_due_at
        rows.append(
            [
                i.pk,
                i.title,
                i.deployment_reference,
                i.assessment_id,
                i.severity,
                i.status,
                i.people_affected,
                i.detected_at,
                i.report_due_at,
                i.reported_at,
                "yes" if late else "no",
            ]
        )
    return Section(
        "incidents",
        gettext_noop("Incidents and their reporting deadlines"),
        [
            "incident_id",
            "title",
            "deployment_reference",
            "assessment_id",
            "severity",
            "status",
            "people_affected",
            "detected_at",
            "report_due_at",
            "reported_at",
            "late",
        ],
        rows,
    )


def frameworks(country: Country, period: Period) -> Section:
    statuses = (
        RequirementStatus.objects.filter(country_id=country.pk)
        .select_related("requirement__framework")
        .annotate(evidence_files=Count("evidence"))
        .order_by("requirement__framework__name", "requirement__position", "requirement_id")
    )
    rows = [
        [
            s.requirement.framework.slug,
            s.requirement.code,
            s.requirement.reference,
            s.requirement.title,
            s.status,
            s.evidence_files,
            s.updated_at,
        ]
        for s in statuses
    ]
    return Section(
        "frameworks",
        gettext_noop("Framework coverage"),
        ["framework", "requirement", "reference", "title", "status", "evidence_files", "updated_at"],
        rows,
    )


def deployments_section(country: Country, period: Period) -> Section:
    """Every deployment request with its approval conditions and environment (ids, states, dates)."""
    requests = DeploymentRequest.objects.filter(country_id=country.pk).select_related("environment").order_by("pk")
    rows = []
    for r in requests:
        environment = getattr(r, "environment", None)
        rows.append(
            [
                r.pk,
                r.organisation_id,
                r.title,
                r.sector,
                r.model_id,
                " ".join(r.capabilities or []),
                r.region,
                r.data_classification,
                r.assessment_id,
                r.risk_category,
                r.state,
                r.review_round,
                r.quota_tokens,
                r.expires_on,
                "yes" if r.human_review_required else "no",
                r.submitted_at,
                r.decided_at,
                environment.pk if environment else None,
                environment.state if environment else "",
                environment.monthly_token_quota if environment else None,
                environment.recertify_by if environment else None,
            ]
        )
    return Section(
        "deployments",
        gettext_noop("Deployments with their approval conditions and environments"),
        [
            "request_id",
            "organisation_id",
            "title",
            "sector",
            "model_id",
            "capabilities",
            "region",
            "data_classification",
            "assessment_id",
            "risk_category",
            "state",
            "review_round",
            "quota_tokens",
            "expires_on",
            "human_review_required",
            "submitted_at",
            "decided_at",
            "environment_id",
            "environment_state",
            "environment_quota",
            "recertify_by",
        ],
        rows,
    )


def deployment_decisions(country: Country, period: Period) -> Section:
    """Who decided what on each request, and when (the comment stays in the portal: free text)."""
    start, end = period.bounds()
    rows = [
        [d.request_id, d.review_round, d.decision, d.by_id, d.at]
        for d in DeploymentDecision.objects.filter(country_id=country.pk, at__gte=start, at__lt=end).order_by(
            "at", "pk"
        )
    ]
    return Section(
        "deployment_decisions",
        gettext_noop("Deployment decisions in the period"),
        ["request_id", "review_round", "decision", "by_user_id", "at"],
        rows,
    )


def provisioning_history(country: Country, period: Period) -> Section:
    start, end = period.bounds()
    rows = [
        [
            j.request_id,
            j.kind,
            j.state,
            j.attempts,
            len(j.steps or []),
            sum(1 for step in (j.steps or []) if step.get("done_at")),
            j.created_at,
            j.started_at,
            j.finished_at,
            j.error,
        ]
        for j in ProvisioningJob.objects.filter(
            country_id=country.pk, created_at__gte=start, created_at__lt=end
        ).order_by("created_at", "pk")
    ]
    return Section(
        "provisioning",
        gettext_noop("Provisioning history in the period"),
        [
            "request_id",
            "kind",
            "state",
            "attempts",
            "steps",
            "steps_done",
            "created_at",
            "started_at",
            "finished_at",
            "error",
        ],
        rows,
    )


def ledger_summary(country: Country, period: Period) -> Section:
    """Events of the period counted by action (the events themselves are in ledger_events.csv and
    in the verifiable ledger export)."""
    start, end = period.bounds()
    counts = Counter(
        dict(
            CountryEvent.objects.filter(country_id=country.pk, at__gte=start, at__lt=end, sequence__isnull=False)
            .values_list("action")
            .annotate(n=Count("id"))
            .values_list("action", "n")
        )
    )
    rows = [[action, counts[action]] for action in sorted(counts)]
    return Section("ledger_summary", "Ledger events in the period, by action", ["action", "events"], rows)


def checkpoints(country: Country, period: Period) -> Section:
    start, end = period.bounds()
    rows = [
        [c.sequence, c.head_hash, c.at, c.key_id, c.signature]
        for c in CountryCheckpoint.objects.filter(country_id=country.pk, at__gte=start, at__lt=end).order_by("sequence")
    ]
    return Section(
        "checkpoints",
        gettext_noop("Signed checkpoints in the period"),
        ["sequence", "head_hash", "at", "key_id", "signature"],
        rows,
    )


def conversations(country: Country, period: Period) -> Section:
    return Section(*dialogue.conversation_rows(country, period))


PACK_SECTIONS: list[Callable[[Country, Period], Section | None]] = [
    engagements,
    engagement_terms,
    engagement_history,
    policies,
    training_coverage,
    assessments,
    incidents,
    frameworks,
    deployments_section,
    deployment_decisions,
    provisioning_history,
    conversations,
    ledger_summary,
    checkpoints,
]
LEDGER_SECTIONS: list[Callable[[Country, Period], Section | None]] = [ledger_summary, checkpoints]


def sections_read(*, country: Country, period: Period, kind: str = "pack") -> tuple[list[Section], list[str]]:
    """All sections of a report, read in one country context; and the names of absent ones."""
    readers = LEDGER_SECTIONS if kind == "ledger" else PACK_SECTIONS
    found, absent = [], []
    with country_context(country):
        for read in readers:
            section = read(country, period)
            if section is None:
                absent.append(read.__name__.removesuffix("_section"))
            else:
                found.append(section)
    return found, absent
