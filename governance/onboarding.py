"""The two onboarding steps governance owns (registered from GovernanceConfig.ready()).

Policies are done when the country has at least one published policy and enough of the
acknowledgements it requires are current (the rule: governance/acknowledgements.py). Assessment is done when a completed impact
assessment exists, and in progress while only drafts do."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from tenants.onboarding import DONE, IN_PROGRESS, NOT_STARTED, StepStatus, step_status


def _url(name: str, country) -> str:
    return reverse(f"governance:{name}", kwargs={"code": country.code.lower()})


def policies_facts(country) -> dict:
    """What the policies step reads (with the other steps, in one query): whether a policy is
    adopted and one published, and the facts of the acknowledgement rule (governance/acknowledgements.py)."""
    from django.db.models import Exists

    from . import selectors
    from .acknowledgements import acknowledgement_facts

    return {
        "published": Exists(selectors.current_versions(country=country)),
        "adopted": Exists(selectors.policy_list(country=country)),
        **acknowledgement_facts(country),
    }


def policies_decide(country, facts: dict) -> StepStatus:
    from .acknowledgements import acknowledgement_totals, acknowledgements_enough

    if not facts["published"]:
        if facts["adopted"]:
            return StepStatus(IN_PROGRESS, _("Publish a version of an adopted policy."), _url("policies", country))
        return StepStatus(NOT_STARTED, _("Adopt the programme's policy templates."), _url("policies", country))
    required, current = acknowledgement_totals(facts)
    if acknowledgements_enough(required, current):
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
