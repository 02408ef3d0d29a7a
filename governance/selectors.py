"""Reads of governance, scoped to one country (callers are inside its country context), and the
questions other apps ask: are an organisation's acknowledgements current, and may an assessed use
go ahead."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from tenants.ids import parse_id
from tenants.isolation import reading_context
from tenants.models import Country, Organisation

from .acknowledgements import acknowledgement_facts, acknowledgement_totals
from .models import (
    Acknowledgement,
    CountryPolicy,
    EvidenceFile,
    Framework,
    ImpactAssessment,
    Incident,
    PolicyVersion,
    Requirement,
    RequirementMapping,
    RequirementStatus,
    SharedPolicy,
)
from .questionnaire import LEVEL_LABELS, OBLIGATIONS, questions


@dataclass(frozen=True)
class GateResult:
    ok: bool
    reason: str  # what is done, or what to do next, in words a person can act on
    missing: int = 0


@dataclass(frozen=True)
class AssessmentSummary:
    ok: bool
    reason: str
    assessment_id: int
    completed: bool
    category: str
    impact_level: int | None
    obligations: list[str] = field(default_factory=list)
    prohibited: bool = False
    status: str = ""
    completed_at: object = None


# --- Policies --------------------------------------------------------------------------------------


def policy_list(*, country: Country) -> QuerySet[CountryPolicy]:
    """Policies with their latest published version number, in one query."""
    published = PolicyVersion.objects.filter(policy=OuterRef("pk"), status=PolicyVersion.Status.PUBLISHED).order_by(
        "-number"
    )
    return (
        CountryPolicy.objects.filter(country=country)
        .annotate(
            current_number=Subquery(published.values("number")[:1]), current_id=Subquery(published.values("pk")[:1])
        )
        .order_by("title", "id")
    )


def policy_get(*, country: Country, pk) -> CountryPolicy | None:
    pk = parse_id(pk)
    return policy_list(country=country).filter(pk=pk).first() if pk else None


def version_list(*, policy: CountryPolicy) -> QuerySet[PolicyVersion]:
    return PolicyVersion.objects.filter(policy=policy).order_by("-number")


def current_versions(*, country: Country) -> QuerySet[PolicyVersion]:
    """The latest published version of each policy."""
    latest = PolicyVersion.objects.filter(policy=OuterRef("policy"), status=PolicyVersion.Status.PUBLISHED).order_by(
        "-number"
    )
    return PolicyVersion.objects.filter(
        country=country, status=PolicyVersion.Status.PUBLISHED, pk=Subquery(latest.values("pk")[:1])
    ).select_related("policy")


def shared_policy_list(*, exclude_country: Country | None = None) -> QuerySet[SharedPolicy]:
    qs = SharedPolicy.objects.filter(withdrawn_at__isnull=True)
    if exclude_country is not None:
        qs = qs.exclude(source_country_code=exclude_country.code)
    return qs.order_by("title", "id")


def acknowledgement_state(*, country: Country, organisation: Organisation | None = None) -> tuple[int, int]:
    """(required, current): how many person × current-version acknowledgements are required of the
    active members (of `organisation`, or all of the country's), and how many of them are current,
    by the rule of governance/acknowledgements.py. One query, in the scope the caller is in."""
    from tenants.onboarding import read_facts

    return acknowledgement_totals(read_facts(country, acknowledgement_facts(country, organisation=organisation)))


def home_figures(*, country: Country) -> dict:
    """The governance page's figures in one query, in the scope the caller is in: the
    acknowledgements required and current (ack_required, ack_current), the policies adopted and the
    incidents not closed."""
    from tenants.onboarding import CountOf, read_facts

    values = read_facts(
        country,
        {
            **acknowledgement_facts(country),
            "policy_count": CountOf(CountryPolicy.objects.filter(country=country)),
            "open_incidents": CountOf(Incident.objects.filter(country=country).exclude(status=Incident.Status.CLOSED)),
        },
    )
    required, current = acknowledgement_totals(values)
    return {
        "ack_required": required,
        "ack_current": current,
        "policy_count": values["policy_count"],
        "open_incidents": values["open_incidents"],
    }


def acknowledgements_current(*, organisation: Organisation, country: Country | None = None) -> GateResult:
    """Has everyone in this organisation acknowledged the current version of every policy that
    applies to their role, and is each acknowledgement still within its validity period? One query
    (two without the organisation's `country`)."""
    country = country or Country.objects.get(pk=organisation.country_id)
    with reading_context(country):
        return _acknowledgements_current(country, organisation)


def _acknowledgements_current(country: Country, organisation: Organisation) -> GateResult:
    from tenants.onboarding import read_facts

    values = read_facts(
        country,
        {
            "published": Exists(current_versions(country=country)),
            **acknowledgement_facts(country, organisation=organisation),
        },
    )
    return acknowledgement_gate(country=country, organisation_name=organisation.name, values=values)


def acknowledgement_gate(*, country: Country, organisation_name: str, values: dict) -> GateResult:
    """The answer for one organisation from the values of `published` (is any policy published?)
    and of acknowledgement_facts for it (the deployment gate reads them with its other facts)."""
    if not values["published"]:
        return GateResult(
            False,
            _("{country} has no published policy yet: a country admin adopts and publishes the policies first.").format(
                country=country.display_name
            ),
        )
    required, current = acknowledgement_totals(values)
    missing = required - current
    if missing:
        return GateResult(
            False,
            ngettext(
                "{n} policy acknowledgement is missing or expired in {organisation}: each person "
                "acknowledges the policies on their Governance page.",
                "{n} policy acknowledgements are missing or expired in {organisation}: each person "
                "acknowledges the policies on their Governance page.",
                missing,
            ).format(n=missing, organisation=organisation_name),
            missing,
        )
    return GateResult(
        True,
        _("Everyone in {organisation} has acknowledged the current policies.").format(organisation=organisation_name),
    )


def my_pending_versions(*, country: Country, user, role: str) -> list[PolicyVersion]:
    """The current versions this person must (again) acknowledge."""
    now = timezone.now()
    with reading_context(country):
        versions = [v for v in current_versions(country=country) if role in v.roles]
        done = set(
            Acknowledgement.objects.filter(
                country=country, user=user, expires_at__gt=now, version_id__in=[v.pk for v in versions]
            ).values_list("version_id", flat=True)
        )
    return [v for v in versions if v.pk not in done]


# --- Assessments -----------------------------------------------------------------------------------


def assessment_list(*, country: Country) -> QuerySet[ImpactAssessment]:
    return ImpactAssessment.objects.filter(country=country).order_by("-created_at", "-id")


def assessment_get(*, country: Country, pk) -> ImpactAssessment | None:
    pk = parse_id(pk)
    return assessment_list(country=country).filter(pk=pk).first() if pk else None


def obligation_labels(keys: list[str]) -> list[str]:
    return [str(OBLIGATIONS.get(k, k)) for k in keys]


def assessment_for_use(*, country: Country, assessment_id: int) -> AssessmentSummary | None:
    """May the use this assessment covers go ahead? None when there is no such assessment in the
    country. ok is False for a draft, a superseded assessment or a prohibited category."""
    with reading_context(country):
        assessment = assessment_get(country=country, pk=assessment_id)
    if assessment is None:
        return None
    return _summary(assessment.pk, {field: getattr(assessment, field) for field in USE_FIELDS})


# What assessment_for_use and the EU pack (deployments.register.eu) read of an assessment.
USE_FIELDS = ("title", "status", "category", "impact_level", "obligations", "completed_at")


def assessment_use_facts(*, country: Country, assessment_id: int) -> dict[str, Subquery]:
    """What assessment_for_use reads, as expressions another query holds (the deployment gate reads
    them with its other facts); assessment_use_from decides from their values."""
    found = ImpactAssessment.objects.filter(country=country, pk=assessment_id)
    return {f"assessment_{field}": Subquery(found.values(field)[:1]) for field in USE_FIELDS}


def assessment_use_from(*, assessment_id: int, values: dict) -> AssessmentSummary | None:
    """assessment_for_use's answer from the values of assessment_use_facts."""
    if values["assessment_status"] is None:
        return None
    return _summary(assessment_id, {field: values[f"assessment_{field}"] for field in USE_FIELDS})


def _summary(assessment_id: int, found: dict) -> AssessmentSummary:
    status = ImpactAssessment.Status
    completed = found["status"] == status.COMPLETED
    prohibited = found["category"] == ImpactAssessment.Category.PROHIBITED
    title = found["title"]
    if found["status"] == status.DRAFT:
        reason = _("The impact assessment “{title}” is a draft: complete it first.").format(title=title)
    elif found["status"] == status.SUPERSEDED:
        reason = _("The impact assessment “{title}” was superseded: use the newer one.").format(title=title)
    elif prohibited:
        reason = _(
            "The impact assessment “{title}” places this use in a prohibited category "
            "(EU AI Act Art. 5): it cannot be deployed."
        ).format(title=title)
    else:
        reason = _("Completed: impact level {level}, {category}.").format(
            level=LEVEL_LABELS[found["impact_level"]],
            category=str(dict(ImpactAssessment.Category.choices).get(found["category"], found["category"])).lower(),
        )
    return AssessmentSummary(
        ok=completed and not prohibited,
        reason=reason,
        assessment_id=assessment_id,
        completed=completed,
        category=found["category"],
        impact_level=found["impact_level"],
        obligations=list(found["obligations"] or []),
        prohibited=prohibited,
        status=found["status"],
        completed_at=found["completed_at"],
    )


def assessment_public_facts(*, country: Country, assessment_id: int | None) -> dict | None:
    """What a completed impact assessment may tell the public about a use: its date, level,
    category, obligations and the answers that describe the risk and its safeguards, as labels.
    Never a person, never free text. None when there is no completed assessment of that id."""
    if not assessment_id:
        return None
    with reading_context(country):
        assessment = (
            ImpactAssessment.objects.filter(country=country, pk=assessment_id)
            .exclude(status=ImpactAssessment.Status.DRAFT)
            .first()
        )
    if assessment is None or assessment.completed_at is None:
        return None
    options = {q["key"]: {o[0]: o[1] for o in q["options"]} for q in questions(assessment.questionnaire_version)}
    answers = assessment.answers or {}

    def label(key: str) -> str:
        return str(options.get(key, {}).get(answers.get(key), ""))

    return {
        "completed_on": assessment.completed_at.date().isoformat(),
        "status": assessment.status,
        "impact_level": LEVEL_LABELS.get(assessment.impact_level or 0, ""),
        "category": assessment.category,
        "category_label": str(assessment.get_category_display()),
        "obligations": [str(o) for o in obligation_labels(list(assessment.obligations or []))],
        "safeguards": [str(options["mitigations"].get(m, m)) for m in answers.get("mitigations", [])],
        "safeguard_keys": list(answers.get("mitigations", [])),
        "purpose": label("purpose"),
        "purpose_key": answers.get("purpose", ""),
        "people_affected": label("people"),
        "autonomy": label("autonomy"),
        "data": label("data"),
        "data_key": answers.get("data", ""),
        "reversibility": label("reversibility"),
        "scale": label("scale"),
    }


# --- Frameworks ------------------------------------------------------------------------------------

# Evidence for a requirement counts towards another when meeting the first means meeting the second
# (docs/frameworks.md): along a mapping source → target that is equal or a superset, and back along
# one that is equal or a subset. An intersection is shown as related and counts for neither.
COVERS_TARGET = (RequirementMapping.Relationship.EQUAL, RequirementMapping.Relationship.SUPERSET)
COVERS_SOURCE = (RequirementMapping.Relationship.EQUAL, RequirementMapping.Relationship.SUBSET)
# The relationship seen from the requirement on the page.
RELATED_LABELS = {
    "equal": gettext_lazy(gettext_lazy("asks the same")),
    "superset": gettext_lazy(gettext_lazy("meeting this one meets it")),
    "subset": gettext_lazy(gettext_lazy("meeting it meets this one")),
    "intersect": gettext_lazy(gettext_lazy("they overlap")),
}


def framework_list() -> QuerySet[Framework]:
    """The current version of every framework, with its number of assessable requirements."""
    return (
        Framework.objects.filter(is_current=True)
        .annotate(requirement_count=Count("requirements", filter=Q(requirements__assessable=True)))
        .order_by("name")
    )


def framework_get(*, slug: str, version=None) -> Framework | None:
    """The current version of a framework, or the given version of it (None when there is none)."""
    frameworks = Framework.objects.filter(slug=str(slug)[:40])
    if version in (None, ""):
        return frameworks.filter(is_current=True).first()
    number = parse_id(version)
    return frameworks.filter(version=number).first() if number else None


def framework_with_versions(*, slug: str, version=None) -> tuple[Framework | None, list[Framework]]:
    """framework_get and framework_versions in one query: the framework's versions, newest first,
    and the one asked for (None when there is none)."""
    versions = list(Framework.objects.filter(slug=str(slug)[:40]).order_by("-version"))
    if version in (None, ""):
        return next((v for v in versions if v.is_current), None), versions
    number = parse_id(version)
    return next((v for v in versions if number and v.version == number), None), versions


def _covering(requirement_ids: list[int]) -> dict[int, set[int]]:
    """For each requirement, the requirements whose evidence counts towards it. One query."""
    covering: dict[int, set[int]] = {}
    mappings = RequirementMapping.objects.filter(
        Q(target_id__in=requirement_ids, relationship__in=COVERS_TARGET)
        | Q(source_id__in=requirement_ids, relationship__in=COVERS_SOURCE)
    ).values_list("source_id", "target_id", "relationship")
    wanted = set(requirement_ids)
    for source, target, relationship in mappings:
        if target in wanted and relationship in COVERS_TARGET:
            covering.setdefault(target, set()).add(source)
        if source in wanted and relationship in COVERS_SOURCE:
            covering.setdefault(source, set()).add(target)
    return covering


def framework_rows(*, country: Country, framework: Framework) -> list[Requirement]:
    """Each requirement (headings included, in reading order) with this country's status row (or
    None), the count of evidence that counts towards it through mappings, and, in a newer
    version, the status the same requirement had in the version before. At most five queries."""
    requirements = list(Requirement.objects.filter(framework=framework).order_by("position"))
    statuses = {
        s.requirement_id: s
        for s in RequirementStatus.objects.filter(country=country, requirement__framework=framework)
        .select_related("owner__user")
        .annotate(evidence_count=Count("evidence"))
    }
    covering = _covering([r.pk for r in requirements])
    sources = {pk for pks in covering.values() for pk in pks}
    counts = dict(
        EvidenceFile.objects.filter(country=country, requirement_status__requirement_id__in=sources)
        .order_by()
        .values_list("requirement_status__requirement_id")
        .annotate(n=Count("id"))
        if sources
        else []
    )
    previous = {}
    if framework.version > 1:
        earlier = Framework.objects.filter(slug=framework.slug, version__lt=framework.version).order_by("-version")
        before = earlier.first()
        if before is not None:
            previous = dict(
                RequirementStatus.objects.filter(country=country, requirement__framework=before).values_list(
                    "requirement__code", "status"
                )
            )
    labels = dict(RequirementStatus.Status.choices)
    for requirement in requirements:
        requirement.country_status = statuses.get(requirement.pk)
        requirement.mapped_evidence_count = sum(counts.get(pk, 0) for pk in covering.get(requirement.pk, ()))
        requirement.previous_status = labels.get(previous.get(requirement.code, ""), "")
        requirement.indent = min((requirement.depth - 1) * 3, 9)
    return requirements


def rows_coverage(rows: list[Requirement]) -> dict:
    """`coverage` from the rows of framework_rows, with no query."""
    assessable = [row for row in rows if row.assessable]
    counts: dict[str, int] = {}
    for row in assessable:
        if row.country_status is not None:
            counts[row.country_status.status] = counts.get(row.country_status.status, 0) + 1
    return _coverage_rows(len(assessable), counts)


def coverage(*, country: Country, framework: Framework) -> dict:
    """Counts and percentages per status for one framework's assessable requirements (missing rows
    count as not assessed)."""
    return coverages(country=country, frameworks=[framework])[framework.pk]


def coverages(*, country: Country, frameworks: list[Framework]) -> dict[int, dict]:
    """`coverage` of each framework, by its key: two queries whatever the number of frameworks (one
    when they come from framework_list, which counts their requirements)."""
    ids = [f.pk for f in frameworks]
    totals = {f.pk: f.requirement_count for f in frameworks if hasattr(f, "requirement_count")}
    if len(totals) < len(ids):
        totals = dict(
            Requirement.objects.filter(framework_id__in=ids, assessable=True)
            .order_by()
            .values_list("framework_id")
            .annotate(n=Count("id"))
        )
    counted: dict[int, dict[str, int]] = {pk: {} for pk in ids}
    for framework_id, status, n in (
        RequirementStatus.objects.filter(
            country=country, requirement__framework_id__in=ids, requirement__assessable=True
        )
        .order_by()
        .values_list("requirement__framework_id", "status")
        .annotate(n=Count("id"))
    ):
        counted[framework_id][status] = n
    return {pk: _coverage_rows(totals.get(pk, 0), counted[pk]) for pk in ids}


def _coverage_rows(total: int, counts: dict[str, int]) -> dict:
    counts[RequirementStatus.Status.NOT_ASSESSED] = total - sum(
        n for s, n in counts.items() if s != RequirementStatus.Status.NOT_ASSESSED
    )
    rows = [
        {
            "status": value,
            "label": label,
            "count": counts.get(value, 0),
            "percent": round(100 * counts.get(value, 0) / total) if total else 0,
        }
        for value, label in RequirementStatus.Status.choices
    ]
    return {"total": total, "rows": rows}


def mapped_evidence(
    *, country: Country, requirement: Requirement, sources: set[int] | None = None
) -> list[EvidenceFile]:
    """The evidence of other frameworks' requirements that counts towards this one (`sources`: the
    requirements that cover it, when the caller read them with requirement_links)."""
    if sources is None:
        sources = _covering([requirement.pk]).get(requirement.pk, set())
    if not sources:
        return []
    return list(
        EvidenceFile.objects.filter(country=country, requirement_status__requirement_id__in=sources)
        .select_related("requirement_status__requirement__framework")
        .order_by("requirement_status__requirement__framework__name", "name", "-version")
    )


def requirement_links(*, requirement: Requirement) -> tuple[list[tuple[Requirement, str]], set[int]]:
    """The requirement's mappings, read once (one query): the requirements of other frameworks
    mapped to it, each with the relationship as seen from it, and those whose evidence counts
    towards it (as _covering finds them, for mapped_evidence)."""
    flipped = {"subset": "superset", "superset": "subset"}
    mappings = list(
        RequirementMapping.objects.filter(Q(source=requirement) | Q(target=requirement))
        .select_related("source__framework", "target__framework")
        .order_by("source", "target")
    )
    related = [(m.target, RELATED_LABELS[m.relationship]) for m in mappings if m.source_id == requirement.pk]
    related += [
        (m.source, RELATED_LABELS[flipped.get(m.relationship, m.relationship)])
        for m in mappings
        if m.target_id == requirement.pk
    ]
    covering = {m.source_id for m in mappings if m.target_id == requirement.pk and m.relationship in COVERS_TARGET}
    covering |= {m.target_id for m in mappings if m.source_id == requirement.pk and m.relationship in COVERS_SOURCE}
    return sorted(related, key=lambda pair: (pair[0].framework.name, pair[0].position)), covering


def requirement_status_get(*, country: Country, requirement: Requirement) -> RequirementStatus | None:
    """This country's status of one requirement (with its owner and its number of evidence files)."""
    return (
        RequirementStatus.objects.filter(country=country, requirement=requirement)
        .select_related("owner__user")
        .annotate(evidence_count=Count("evidence"))
        .first()
    )


def requirement_get(*, framework: Framework, code: str) -> Requirement | None:
    return Requirement.objects.filter(framework=framework, code=str(code)[:40]).first()


def evidence_list(*, country: Country, requirement: Requirement) -> QuerySet[EvidenceFile]:
    return (
        EvidenceFile.objects.filter(country=country, requirement_status__requirement=requirement)
        .select_related("uploaded_by")
        .order_by("name", "-version")
    )


def evidence_get(*, country: Country, pk) -> EvidenceFile | None:
    pk = parse_id(pk)
    return EvidenceFile.objects.filter(country=country, pk=pk).first() if pk else None


# --- Incidents -------------------------------------------------------------------------------------


def incident_list(*, country: Country) -> QuerySet[Incident]:
    return Incident.objects.filter(country=country).select_related("assessment").order_by("-detected_at", "-id")


def incident_get(*, country: Country, pk) -> Incident | None:
    pk = parse_id(pk)
    return incident_list(country=country).filter(pk=pk).first() if pk else None
