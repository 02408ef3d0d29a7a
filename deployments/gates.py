"""The gates a deployment request must pass, on submission and again before provisioning. Each
answers with its name, whether it passes, and what to do about it; the answers come from the
selectors of tenants (engagement), governance (assessment, policies) and training."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from engagements import selectors as engagement_selectors
from engagements.models import Engagement
from governance import selectors as governance_selectors
from tenants.isolation import reading_context
from tenants.models import Country, Membership, Organisation
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

    @property
    def label(self) -> str:
        return GATE_LABELS[self.name]


def _engagement(country: Country, request: DeploymentRequest) -> Gate:
    with reading_context(country):
        engagement = engagement_selectors.engagement_current(country=country)
    if engagement is None or engagement.state != Engagement.State.ACTIVE or engagement.approved_terms is None:
        return Gate(
            "engagement",
            False,
            _(
                "{country_name} has no active engagement: a country admin applies for one and a partner manager approves it on the Engagement page."
            ).format(country_name=country.name),
        )
    terms = engagement.approved_terms
    problems = []
    if request.sector not in (terms.sectors or []):
        problems.append(
            _("the sector {request_get_sector_display}").format(
                request_get_sector_display=request.get_sector_display().lower()
            )
        )
    outside = [c for c in request.capabilities if c not in (terms.capabilities or [])]
    if outside:
        problems.append(_("the capabilities {capabilities}").format(capabilities=", ".join(outside)))
    if request.region != terms.residency_region:
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
        )
    return Gate(
        "engagement",
        True,
        _("The active engagement (terms version {terms_version}) covers this use.").format(terms_version=terms.version),
    )


def _assessment(country: Country, request: DeploymentRequest) -> Gate:
    if request.assessment_id is None:
        return Gate("assessment", False, _("Link a completed impact assessment of this use to the request."))
    summary = governance_selectors.assessment_for_use(country=country, assessment_id=request.assessment_id)
    if summary is None:
        return Gate("assessment", False, _("The linked impact assessment no longer exists: link another one."))
    return Gate("assessment", summary.ok, summary.reason)


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


def _organisations(country: Country, request: DeploymentRequest) -> list:
    """The organisation the request names and each person's own organisation in the country:
    naming another organisation cannot take anyone out of their own organisation's policies."""
    ids = [request.organisation_id]
    with reading_context(country):
        ids += list(
            Membership.objects.filter(user_id__in=[u.pk for _, u in people(request)], status=Membership.Status.ACTIVE)
            .order_by("user_id")
            .values_list("organisation_id", flat=True)
        )
        organisations = {o.pk: o for o in Organisation.objects.filter(pk__in=ids)}
    return [organisations[pk] for pk in dict.fromkeys(ids) if pk in organisations]


def _policies(country: Country, request: DeploymentRequest) -> Gate:
    reasons = []
    for organisation in _organisations(country, request):
        result = governance_selectors.acknowledgements_current(organisation=organisation, country=country)
        if not result.ok:
            return Gate("policies", False, result.reason)
        reasons.append(organisation.name)
    return Gate(
        "policies",
        True,
        _("Everyone in {organisations} has acknowledged the current policies.").format(
            organisations="; ".join(reasons)
        ),
    )


def _training(country: Country, request: DeploymentRequest) -> Gate:
    missing = []
    for role, user in people(request):
        for capability in request.capabilities or [None]:
            result = training_selectors.person_meets_requirements(
                country=country, user=user, sector=request.sector, capability=capability
            )
            if not result.ok:
                missing.append(
                    _("{role} ({user_get_username}): {result_reason}").format(
                        role=PERSON_LABELS[role],
                        user_get_username=user.get_full_name() or user.get_username(),
                        result_reason=result.reason,
                    )
                )
                break
    if missing:
        return Gate("training", False, _("Required training is missing: {people}").format(people="; ".join(missing)))
    return Gate("training", True, _("The submitter, the requester and the owner hold the required training."))


CHECKS = {"engagement": _engagement, "assessment": _assessment, "policies": _policies, "training": _training}


def gates_check(*, country: Country, request: DeploymentRequest) -> list[Gate]:
    """Every gate, in order, each with its own answer (all are checked, so the requester sees all
    there is to do at once)."""
    return [CHECKS[name](country, request) for name in GATE_NAMES]


def gate_fix(*, country: Country, request: DeploymentRequest, gate: Gate) -> tuple[str, str]:
    """Where a failing gate is fixed: (link text, address)."""
    code = country.code.lower()
    if gate.name == "engagement":
        engagement = None
        with reading_context(country):
            engagement = engagement_selectors.engagement_current(country=country)
        if engagement is not None and engagement.state == Engagement.State.ACTIVE:
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
        return _("Go to the policies to acknowledge"), reverse("governance:policies", kwargs={"code": code})
    return _("Go to training"), reverse("training:home", kwargs={"code": code})


def gates_failing(gates: list[Gate]) -> list[Gate]:
    return [gate for gate in gates if not gate.ok]
