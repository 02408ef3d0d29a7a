"""The deployments' events on the record in words: each action's label, a request named by its
title with a link, an environment by its name, and a move by the states it went between."""

from __future__ import annotations

from django.urls import reverse

from tenants.isolation import reading_context

from .models import DeploymentRequest, Environment

STATES = dict(DeploymentRequest.State.choices)
LABELS = {
    "deployment.drafted": "Deployment request drafted",
    "deployment.updated": "Deployment request changed",
    "deployment.deleted": "Draft deployment request deleted",
    "deployment.submit": "Deployment request submitted for review",
    "deployment.withdraw": "Deployment request withdrawn from review",
    "deployment.start_review": "Review of a deployment request started",
    "deployment.approve": "Deployment request approved",
    "deployment.reject": "Deployment request rejected",
    "deployment.request_changes": "Changes requested on a deployment request",
    "deployment.provisioning_start": "Provisioning started",
    "deployment.provisioning_done": "Deployment active",
    "deployment.provisioning_failed": "Provisioning failed",
    "deployment.suspend": "Deployment suspended",
    "deployment.reinstate": "Deployment reinstated",
    "deployment.decommission": "Deployment decommissioned",
    "environment.capture_changed": "Storage of prompts and outputs changed",
    "environment.gateway_stopped": "Calls stopped (kill switch)",
    "environment.gateway_resumed": "Calls allowed again",
    "environment.quota_alert": "Usage alert",
    "environment.recertification_reminded": "Recertification reminder sent",
    "environment.recertified": "Environment recertified",
    "environment.usage_reported": "Usage reported",
}


def _requests(country, ids: set[int]) -> dict[int, tuple[str, str]]:
    code = country.code.lower()
    with reading_context(country):
        rows = DeploymentRequest.objects.filter(country=country, pk__in=ids).values_list("pk", "title")
        return {pk: (title, reverse("deployments:detail", kwargs={"code": code, "pk": pk})) for pk, title in rows}


def _environments(country, ids: set[int]) -> dict[int, tuple[str, str]]:
    code = country.code.lower()
    with reading_context(country):
        rows = Environment.objects.filter(country=country, pk__in=ids).values_list("pk", "name")
        return {pk: (name, reverse("deployments:environment", kwargs={"code": code, "pk": pk})) for pk, name in rows}


def _detail(action: str, payload: dict) -> str:
    if "from" in payload and "to" in payload:
        return f"From {STATES.get(payload['from'], payload['from'])} to {STATES.get(payload['to'], payload['to'])}"
    if "model" in payload:
        return f"Model: {payload['model']}"
    return ""


def register() -> None:
    from tenants.record.events import events_register

    events_register(
        labels=LABELS,
        targets={"deployments.deploymentrequest": _requests, "deployments.environment": _environments},
        details={"deployment": _detail},
    )
