"""The deployment sections of a compliance pack: each request as it stood at the period's end
(its state and approved conditions from the chain: portal.reports.past), the decisions and the
provisioning of the period."""

from __future__ import annotations

from django.utils.translation import gettext_noop

from deployments.models import DeploymentDecision, DeploymentRequest, ProvisioningJob
from portal.reports.past import before, deployment_states_at
from portal.reports.shapes import Period, Section
from tenants.models import Country


def deployments_section(country: Country, period: Period) -> Section:
    """Every deployment request made by the period's end, with its state and approval conditions
    at that end (from the chain's events; a request unchanged since then as it is) and its
    environment as it is now (labelled: an environment's past state is not rebuilt)."""
    end = period.bounds()[1]
    at_end = deployment_states_at(country, end)
    requests = (
        DeploymentRequest.objects.filter(country_id=country.pk, created_at__lt=end)
        .select_related("environment")
        .order_by("pk")
    )
    rows = []
    for r in requests:
        environment = getattr(r, "environment", None)
        unchanged = r.updated_at < end
        found = at_end.get(r.pk, {})
        state = r.state if unchanged else found.get("state", "")
        approved = found.get("conditions") or {}
        quota = approved.get("monthly_quota", r.quota_tokens if unchanged or not found else None)
        rate = approved.get("requests_per_minute", r.requests_per_minute if unchanged or not found else None)
        expires = approved.get("expires_on", r.expires_on if unchanged or not found else None)
        review = approved.get("human_review_required", r.human_review_required)
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
                state,
                r.review_round if unchanged else None,
                quota,
                rate,
                expires,
                "yes" if review else "no",
                before(r.submitted_at, end),
                before(r.decided_at, end),
                environment.pk if environment else None,
                environment.state if environment else "",
                environment.monthly_token_quota if environment else None,
                environment.requests_per_minute if environment else None,
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
            "requests_per_minute",
            "expires_on",
            "human_review_required",
            "submitted_at",
            "decided_at",
            "environment_id",
            "environment_state",
            "environment_quota",
            "environment_rate",
            "recertify_by",
        ],
        rows,
        note=gettext_noop(
            "Requests made by the end of the period, with their state and approved conditions at that end; "
            "the environment columns are as when the report was generated."
        ),
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
