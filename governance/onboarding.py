"""The two onboarding steps governance owns (registered from GovernanceConfig.ready()).

Policies are done when the country has at least one published policy and at least 80% of the
acknowledgements it requires (every active member × the current version of each policy that
applies to their role) are current: a programme cannot wait for the last person on leave, but it
must not start with most staff unaware of the rules. Assessment is done when a completed impact
assessment exists, and in progress while only drafts do."""

from __future__ import annotations

from django.db.models import Subquery
from django.urls import reverse
from django.utils.translation import gettext as _

from tenants.onboarding import DONE, IN_PROGRESS, NOT_STARTED, StepStatus, step_status

ACK_THRESHOLD = 0.8


def _url(name: str, country) -> str:
    return reverse(f"governance:{name}", kwargs={"code": country.code.lower()})


def policies_facts(country) -> dict:
    """What the policies step reads (with the other steps, in one query): whether a policy is
    adopted and one published, and, role by role, the active members, the current versions that
    apply to them and the current acknowledgements they hold (each person × version once)."""
    from django.db.models import CharField, Count, Exists, Value
    from django.db.models.functions import Cast, Concat
    from django.utils import timezone

    from tenants.models import Membership
    from tenants.onboarding import CountOf

    from . import selectors
    from .models import Acknowledgement

    now = timezone.now()
    versions = selectors.current_versions(country=country)
    facts = {"published": Exists(versions), "adopted": Exists(selectors.policy_list(country=country))}
    pair = Concat(Cast("user_id", CharField()), Value(":"), Cast("version_id", CharField()))
    for role in Membership.Role.values:
        members = Membership.objects.filter(country=country, status=Membership.Status.ACTIVE, role=role)
        applying = versions.filter(roles__icontains=f'"{role}"')  # a JSON list of role keys, quoted
        facts[f"members_{role}"] = CountOf(members)
        facts[f"versions_{role}"] = CountOf(applying)
        facts[f"current_{role}"] = Subquery(
            Acknowledgement.objects.filter(
                country=country,
                expires_at__gt=now,
                version__in=applying.values("pk"),
                user_id__in=members.values("user_id"),
            )
            .order_by()
            .values("country_id")
            .annotate(n=Count(pair, distinct=True))
            .values("n")[:1]
        )
    return facts


def policies_decide(country, facts: dict) -> StepStatus:
    from tenants.models import Membership

    if not facts["published"]:
        if facts["adopted"]:
            return StepStatus(IN_PROGRESS, _("Publish a version of an adopted policy."), _url("policies", country))
        return StepStatus(NOT_STARTED, _("Adopt the programme's policy templates."), _url("policies", country))
    roles = Membership.Role.values
    required = sum(facts[f"members_{role}"] * facts[f"versions_{role}"] for role in roles)
    current = sum(facts[f"current_{role}"] or 0 for role in roles)
    if required and current / required >= ACK_THRESHOLD:
        return StepStatus(
            DONE,
            _("{current} of {required} acknowledgements are current.").format(current=current, required=required),
            _url("policies", country),
        )
    return StepStatus(
        IN_PROGRESS,
        _("{current} of {required} acknowledgements are current; 80% are needed.").format(
            current=current, required=required
        ),
        _url("policies", country),
    )


def policies_status(country) -> StepStatus:
    return step_status("policies", country)


def assessment_facts(country) -> dict:
    from django.db.models import Exists

    from .models import ImpactAssessment

    S = ImpactAssessment.Status
    assessments = ImpactAssessment.objects.filter(country=country)
    return {
        "completed": Exists(assessments.filter(status__in=[S.COMPLETED, S.SUPERSEDED])),
        "draft": Exists(assessments.filter(status=S.DRAFT)),
    }


def assessment_decide(country, facts: dict) -> StepStatus:
    if facts["completed"]:
        return StepStatus(DONE, _("A completed impact assessment is on record."), _url("assessments", country))
    if facts["draft"]:
        return StepStatus(IN_PROGRESS, _("Complete the draft impact assessment."), _url("assessments", country))
    return StepStatus(NOT_STARTED, _("Assess the impact of the first intended use."), _url("assessments", country))


def assessment_status(country) -> StepStatus:
    return step_status("assessment", country)
