"""The gates a deployment request must pass, on submission, on approval and again before provisioning. Each
answers with its name, whether it passes, and what to do about it; the answers come from what
tenants (engagement), governance (assessment, policies) and training know, asked as facts:
expressions of the app that owns the rows (as the onboarding steps ask theirs), read together in
one query whatever the number of people, organisations and capabilities, and one more only to
name the training someone lacks."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Subquery
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from engagements import selectors as engagement_selectors
from engagements.models import Engagement
from governance import acknowledgements as governance_acknowledgements
from governance import selectors as governance_selectors
from tenants.isolation import reading_context
from tenants.models import Country, Membership
from tenants.onboarding import read_facts
from training import selectors as training_selectors

from .models import DeploymentRequest

GATE_NAMES = ("engagement", "assessment", "policies", "training")
GATE_LABELS = {
    "engagement": gettext_lazy("Engagement and its terms"),
    "assessment": gettext_lazy("Impact assessment"),
    "policies": gettext_lazy("Policy acknowledgements"),
    "training": gettext_lazy("Required training"),
}


@dataclass(frozen=True)
class Gate:
    name: str
    ok: bool
    reason: str
    # Where it is fixed, when the answer already tells (the engagement gate: "edit" the request to
    # fit an active engagement, or go to the "engagement"); and what the gate read that a page shows
    # besides (the assessment gate: its summary, for the EU pack).
    fix: str = ""
    read: object = field(default=None, compare=False)

    @property
    def label(self) -> str:
        return GATE_LABELS[self.name]


def _engagement(country: Country, request: DeploymentRequest, values: dict) -> Gate:
    state = values["engagement_state"]
    fix = "edit" if state == Engagement.State.ACTIVE else "engagement"
    if state != Engagement.State.ACTIVE or values["terms_id"] is None:
        return Gate(
            "engagement",
            False,
            _(
                "{country_name} has no active engagement: a country admin applies for one and a partner manager approves it on the Engagement page."
            ).format(country_name=country.display_name),
            fix,
        )
    problems = []
    if request.sector not in (values["terms_sectors"] or []):
        problems.append(
            _("the sector {request_get_sector_display}").format(
                request_get_sector_display=request.get_sector_display().lower()
            )
        )
    outside = [c for c in request.capabilities if c not in (values["terms_capabilities"] or [])]
    if outside:
        problems.append(_("the capabilities {capabilities}").format(capabilities=", ".join(outside)))
    if request.region != values["terms_region"]:
        problems.append(
            _("the region {request_get_region_display}").format(request_get_region_display=request.get_region_display())
        )
    if problems:
        return Gate(
            "engagement",
            False,
            _(
                "The engagement's approved terms do not cover {problems}: change the request, or amend the "
                "engagement's terms first."
            ).format(problems="; ".join(problems)),
            fix,
        )
    return Gate(
        "engagement",
        True,
        _("The active engagement (terms version {terms_version}) covers this use.").format(
            terms_version=values["terms_version"]
        ),
        fix,
    )


def _assessment(country: Country, request: DeploymentRequest, values: dict) -> Gate:
    if request.assessment_id is None:
        return Gate("assessment", False, _("Link a completed impact assessment of this use to the request."))
    summary = governance_selectors.assessment_use_from(assessment_id=request.assessment_id, values=values)
    if summary is None:
        return Gate("assessment", False, _("The linked impact assessment no longer exists: link another one."))
    return Gate("assessment", summary.ok, summary.reason, read=summary)


# The people the gates name, as a sentence names them (whole phrases, so that each language agrees them).
PERSON_LABELS = {
    "requester": pgettext_lazy("person a gate names", "the requester"),
    "submitter": pgettext_lazy("person a gate names", "the submitter"),
    "owner": pgettext_lazy("person a gate names", "the accountable owner"),
}


def people(request: DeploymentRequest) -> list[tuple[str, object]]:
    """Whom the gates hold to the rules: the person who submits (or is about to), the person who
    drafted the request, and the owner the request names; each once."""
    named = [("requester", request.requested_by), ("submitter", request.submitted_by), ("owner", request.owner)]
    seen: set[int] = set()
    found = []
    for role, user in named:
        if user is not None and user.pk not in seen:
            seen.add(user.pk)
            found.append((role, user))
    return found


def _organisations(request: DeploymentRequest) -> list:
    """The organisation the request names and each person's own organisation in the country (their
    active membership's; empty when it is the request's own): naming another organisation cannot
    take anyone out of their own organisation's policies. The people in the order of their keys."""
    own = [request.organisation_id]
    for user in sorted((u for _role, u in people(request)), key=lambda u: u.pk):
        membership = Membership.objects.filter(user_id=user.pk, status=Membership.Status.ACTIVE).exclude(
            organisation_id=request.organisation_id
        )
        own.append(Subquery(membership.values("organisation_id")[:1]))
    return own


def _policies(country: Country, request: DeploymentRequest, values: dict) -> Gate:
    reasons, seen = [], set()
    for i in range(len(people(request)) + 1):
        organisation = values[f"org{i}_id"]
        if organisation is None or organisation in seen or values[f"org{i}_name"] is None:
            continue
        seen.add(organisation)
        name = values[f"org{i}_name"]
        result = governance_selectors.acknowledgement_gate(
            country=country,
            organisation_name=name,
            values={"published": values["published"], **governance_acknowledgements.organisation_values(values, i)},
        )
        if not result.ok:
            return Gate("policies", False, result.reason, fix="people" if values["published"] else "publish")
        reasons.append(name)
    return Gate(
        "policies",
        True,
        _("Everyone in {organisations} has acknowledged the current policies.").format(
            organisations="; ".join(reasons)
        ),
    )


def _training(country: Country, request: DeploymentRequest, values: dict) -> Gate:
    named = people(request)
    capabilities = request.capabilities or [None]
    results: dict[int, training_selectors.RequirementResult] = {}
    lacking: dict[int, tuple] = {}  # person -> the first capability they lack training for
    for i, (_role, user) in enumerate(named):
        role = values[f"role{i}"]
        if role is None:
            results[i] = training_selectors.not_a_member(country)
            continue
        for j, capability in enumerate(capabilities):
            if values[f"missing{i}_{j}"]:
                lacking[i] = (user.pk, role, request.sector, capability)
                break
    titles = training_selectors.missing_titles(country=country, lacking=list(lacking.values()), now=values["now"])
    for i, missing in zip(lacking, titles, strict=True):
        results[i] = training_selectors.missing_result(missing)
    missing = [
        _("{role} ({user_get_username}): {result_reason}").format(
            role=PERSON_LABELS[role],
            user_get_username=user.get_full_name() or user.get_username(),
            result_reason=results[i].reason,
        )
        for i, (role, user) in enumerate(named)
        if i in results
    ]
    if missing:
        return Gate("training", False, _("Required training is missing: {people}").format(people="; ".join(missing)))
    return Gate("training", True, _("The submitter, the requester and the owner hold the required training."))


def gate_facts(*, country: Country, request: DeploymentRequest) -> dict:
    """The values every gate decides from: one query (tenants.onboarding.read_facts), in the
    country's context (the caller's own when it is already that one)."""
    now = timezone.now()
    with reading_context(country):
        facts = {
            **engagement_selectors.current_terms_facts(country),
            "published": governance_acknowledgements.published_fact(country),
            **governance_acknowledgements.organisations_facts(country, _organisations(request)),
            **training_selectors.requirement_facts(
                user_ids=[user.pk for _role, user in people(request)],
                sector=request.sector,
                capabilities=request.capabilities or [None],
                now=now,
            ),
        }
        if request.assessment_id is not None:
            facts.update(
                governance_selectors.assessment_use_facts(country=country, assessment_id=request.assessment_id)
            )
        return {**read_facts(country, facts), "now": now}


CHECKS = {"engagement": _engagement, "assessment": _assessment, "policies": _policies, "training": _training}


def gates_check(*, country: Country, request: DeploymentRequest) -> list[Gate]:
    """Every gate, in order, each with its own answer (all are checked, so the requester sees all
    there is to do at once): one query for all of them, and one more when someone lacks training."""
    values = gate_facts(country=country, request=request)
    with reading_context(country):
        return [CHECKS[name](country, request, values) for name in GATE_NAMES]


def gate_fix(*, country: Country, request: DeploymentRequest, gate: Gate) -> tuple[str, str]:
    """Where a failing gate is fixed: (link text, address)."""
    code = country.code.lower()
    if gate.name == "engagement":
        if gate.fix == "edit":
            return _("Change the request to fit the engagement's terms"), reverse(
                "deployments:edit", kwargs={"code": code, "pk": request.pk}
            )
        return _("Go to the engagement"), reverse("engagement:home", kwargs={"code": code})
    if gate.name == "assessment":
        if request.assessment_id is None:
            return _("Link an impact assessment to the request"), reverse(
                "deployments:edit", kwargs={"code": code, "pk": request.pk}
            )
        return _("Open the impact assessment"), reverse(
            "governance:assessment", kwargs={"code": code, "pk": request.assessment_id}
        )
    if gate.name == "policies":
        policies = reverse("governance:policies", kwargs={"code": code})
        if gate.fix == "people":
            return _("See who still has to acknowledge the policies"), f"{policies}#still-to-acknowledge"
        return _("Go to the policies"), policies
    return _("Go to training"), reverse("training:home", kwargs={"code": code})


def gates_failing(gates: list[Gate]) -> list[Gate]:
    return [gate for gate in gates if not gate.ok]
