"""What a deployment request's approval decides: who may give it and how many it needs (two, by two
people, for a high-risk request), and the conditions it fixes (the monthly quota, the calls a minute
the gateway admits, the expiry, human review of outputs), checked and kept on the request for its
environment, its policy and the approval's event. Called by deployments.services in the move's
transaction."""

from __future__ import annotations

from datetime import date, timedelta

from django.utils.translation import gettext as _

from tenants.errors import NotAllowed, ServiceError
from tenants.languages.formatting import grouped_number

from .models import (
    DEFAULT_REQUESTS_PER_MINUTE,
    MAX_REQUESTS_PER_MINUTE,
    MAX_TOKENS,
    DeploymentDecision,
    DeploymentRequest,
)

HIGH_RISK = "high_risk"
MAX_EXPIRY_YEARS = 10  # an approval is looked at again within this time
S = DeploymentRequest.State


def approval_conditions(request: DeploymentRequest) -> dict:
    """What an approval fixes, for its event: the model, capabilities, region, data
    classification, sector and risk, the monthly quota in tokens, the calls a minute the gateway
    admits, the expiry and whether a person reviews the outputs. No secret and no personal data: an
    auditor reads from the record alone what was approved (the environment is provisioned with
    exactly these, and the gateway enforces them)."""
    return {
        "model": request.model.slug,
        "capabilities": sorted(request.capabilities or []),
        "region": request.region,
        "data_classification": request.data_classification,
        "sector": request.sector,
        "risk_category": request.risk_category,
        "monthly_quota": request.quota_tokens or request.expected_monthly_tokens,
        "requests_per_minute": approved_rate(request),
        "expires_on": request.expires_on.isoformat() if request.expires_on else None,
        "human_review_required": bool(request.human_review_required),
    }


def approvals_given(request: DeploymentRequest) -> int:
    return DeploymentDecision.objects.filter(
        request=request, review_round=request.review_round, decision=DeploymentDecision.Decision.APPROVE
    ).count()


def approvals_needed(request: DeploymentRequest) -> int:
    return 2 if request.risk_category == HIGH_RISK else 1


def approved_rate(request: DeploymentRequest) -> int:
    """The calls a minute the request's approval allows (what its approver set, else the default)."""
    return request.requests_per_minute or DEFAULT_REQUESTS_PER_MINUTE


def approval_record(
    request: DeploymentRequest,
    by,
    comment: str,
    now,
    *,
    quota_tokens: int | None,
    expires_on: date | None,
    human_review_required: bool,
    requests_per_minute: int | None,
) -> str:
    """One partner manager's approval of the request's current round, in the move's transaction
    (deployments.services.deployment_request_transition): the conditions checked and kept on the
    request, the decision recorded, and the state it moves to (in review until a high-risk request
    has its second approval, by someone else)."""
    if by.pk == request.requested_by_id:
        raise NotAllowed(_("You requested this deployment: another partner manager approves it."))
    if DeploymentDecision.objects.filter(request=request, review_round=request.review_round, by=by).exists():
        raise ServiceError(
            _("You have already decided on this request: a second approval must come from another partner manager.")
        )
    if quota_tokens is not None and (not isinstance(quota_tokens, int) or not 0 < quota_tokens < MAX_TOKENS):
        raise ServiceError(_("The quota is a whole number of tokens a month above zero."), field="quota_tokens")
    if requests_per_minute is not None and (
        isinstance(requests_per_minute, bool)
        or not isinstance(requests_per_minute, int)
        or not 0 < requests_per_minute <= MAX_REQUESTS_PER_MINUTE
    ):
        raise ServiceError(
            _("The rate limit is a whole number of calls a minute, from 1 to {most}.").format(
                most=grouped_number(MAX_REQUESTS_PER_MINUTE)
            ),
            field="requests_per_minute",
        )
    if expires_on is not None and expires_on <= now.date():
        raise ServiceError(_("The expiry date must be in the future."), field="expires_on")
    if expires_on is not None and expires_on > now.date() + timedelta(days=366 * MAX_EXPIRY_YEARS):
        raise ServiceError(
            _("Choose an expiry date within %(years)s years: it is when the approval is looked at again.")
            % {"years": MAX_EXPIRY_YEARS},
            field="expires_on",
        )
    DeploymentDecision.objects.create(
        country_id=request.country_id,
        request=request,
        review_round=request.review_round,
        decision="approve",
        by=by,
        comment=comment,
        at=now,
    )
    # The conditions of the latest approval are the ones carried into the environment.
    request.quota_tokens = quota_tokens or request.quota_tokens or request.expected_monthly_tokens
    request.requests_per_minute = requests_per_minute or approved_rate(request)
    request.expires_on = expires_on or request.expires_on
    request.human_review_required = bool(human_review_required or request.human_review_required)
    if approvals_given(request) < approvals_needed(request):
        return S.IN_REVIEW
    request.decided_at = now
    return S.APPROVED
