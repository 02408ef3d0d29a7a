"""The two onboarding steps governance owns (registered from GovernanceConfig.ready()).

Policies are done when the country has at least one published policy and at least 80% of the
acknowledgements it requires (every active member × the current version of each policy that
applies to their role) are current: a programme cannot wait for the last person on leave, but it
must not start with most staff unaware of the rules. Assessment is done when a completed impact
assessment exists, and in progress while only drafts do."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from tenants.onboarding import DONE, IN_PROGRESS, NOT_STARTED, StepStatus

ACK_THRESHOLD = 0.8


def _url(name: str, country) -> str:
    return reverse(f"governance:{name}", kwargs={"code": country.code.lower()})


def policies_status(country) -> StepStatus:
    from . import selectors

    if not selectors.current_versions(country=country).exists():
        if selectors.policy_list(country=country).exists():
            return StepStatus(IN_PROGRESS, _("Publish a version of an adopted policy."), _url("policies", country))
        return StepStatus(NOT_STARTED, _("Adopt the programme's policy templates."), _url("policies", country))
    required, current = selectors.acknowledgement_state(country=country)
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


def assessment_status(country) -> StepStatus:
    from .models import ImpactAssessment

    statuses = set(ImpactAssessment.objects.filter(country=country).values_list("status", flat=True).distinct())
    if statuses & {ImpactAssessment.Status.COMPLETED, ImpactAssessment.Status.SUPERSEDED}:
        return StepStatus(DONE, _("A completed impact assessment is on record."), _url("assessments", country))
    if ImpactAssessment.Status.DRAFT in statuses:
        return StepStatus(IN_PROGRESS, _("Complete the draft impact assessment."), _url("assessments", country))
    return StepStatus(NOT_STARTED, _("Assess the impact of the first intended use."), _url("assessments", country))
