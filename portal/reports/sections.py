"""The sections of a country compliance pack: each is a title, columns and rows read from its app's
models inside the country's context (so the scoped manager and row-level security both apply).

Sections hold ids, states, dates and counts: no names of people, no sealed text. Each query runs
once per section whatever the number of rows (no per-row queries)."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable

from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_noop

from engagements.models import Engagement, EngagementTerms, EngagementTransition
from governance.models import Acknowledgement, ImpactAssessment, Incident, PolicyVersion, RequirementStatus
from portal.reports import dialogue
from portal.reports.deployment_sections import deployment_decisions, deployments_section, provisioning_history
from portal.reports.past import AT_GENERATION, before, engagement_states_at
from portal.reports.shapes import Period, Section
from tenants.isolation import country_context
from tenants.models import Country, Membership
from tenants.record.models import CountryCheckpoint, CountryEvent
from training.models import Enrolment


def engagements(country: Country, period: Period) -> Section:
    """Each engagement as it stood at the period's end, from its transitions before then."""
    end = period.bounds()[1]
    at_end = engagement_states_at(country, end)
    rows = []
    for e in Engagement.objects.filter(country_id=country.pk, created_at__lt=end).order_by("pk"):
        state = at_end.get(e.pk, {})
        rows.append(
            [
                e.pk,
                e.organisation_id,
                state.get("state", ""),
                state.get("amendment", ""),
                state.get("approved_terms_id"),
                e.created_at,
                state.get("submitted_at"),
                state.get("updated_at") or e.created_at,
            ]
        )
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
        EngagementTerms.objects.filter(country_id=country.pk, created_at__lt=period.bounds()[1])
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
    """The versions published by the period's end, with the share of the people they apply to who
    had acknowledged them then (an acknowledgement given before the end and not yet expired). Who
    the people are is today's membership: that part is labelled as of the generation."""
    end = min(period.bounds()[1], timezone.now())
    members = _active_members(country)
    acknowledged: dict[int, set[int]] = defaultdict(set)
    for version_id, user_id in Acknowledgement.objects.filter(
        country_id=country.pk, at__lt=end, expires_at__gt=end
    ).values_list("version_id", "user_id"):
        acknowledged[version_id].add(user_id)
    rows = []
    versions = (
        PolicyVersion.objects.filter(country_id=country.pk, status=PolicyVersion.Status.PUBLISHED, published_at__lt=end)
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
        note=gettext_noop(
            "Versions and acknowledgements as at the end of the period; the people required are the "
            "country's members when the report was generated."
        ),
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
        as_of=AT_GENERATION,
    )


def assessments(country: Country, period: Period) -> Section:
    """The assessments begun by the period's end (and the completions before it); a status and
    level are as they are now: labelled."""
    end = period.bounds()[1]
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
            before(a.completed_at, end),
        ]
        for a in ImpactAssessment.objects.filter(country_id=country.pk, created_at__lt=end)
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
        note=gettext_noop(
            "Assessments begun by the end of the period; their status, level and category are as when the "
            "report was generated."
        ),
    )


def incidents(country: Country, period: Period) -> Section:
    """Incidents detected by the period's end, reported (or late) as at that end; a status is as it
    is now: labelled."""
    end = min(period.bounds()[1], timezone.now())
    rows = []
    for i in (
        Incident.objects.filter(country_id=country.pk, detected_at__lt=end)
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
        reported = before(i.reported_at, end)
        late = (reported or end) > i.report_due_at
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
                reported,
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
        note=gettext_noop(
            "Incidents detected by the end of the period; their status is as when the report was generated."
        ),
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
        as_of=AT_GENERATION,
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
    return Section("ledger_summary", gettext_noop("Ledger events in the period, by action"), ["action", "events"], rows)


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
