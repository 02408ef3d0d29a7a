"""The deployments' events on the record in words: each action's label, a request named by its
title with a link, an environment by its name, and a move by the states it went between. The
names are read with those of every other kind of target on the page, in one query."""

from __future__ import annotations

from django.urls import reverse

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


def _request_names(country, ids: set[int]):
    return DeploymentRequest.objects.filter(country=country, pk__in=ids).values_list("pk", "title")


def _environment_names(country, ids: set[int]):
    return Environment.objects.filter(country=country, pk__in=ids).values_list("pk", "name")


def _link(name: str):
    return lambda country, pk: reverse(name, kwargs={"code": country.code.lower(), "pk": pk})


def _detail(action: str, payload: dict) -> str:
    if "from" in payload and "to" in payload:
        return f"From {STATES.get(payload['from'], payload['from'])} to {STATES.get(payload['to'], payload['to'])}"
    if "model" in payload:
        return f"Model: {payload['model']}"
    return ""


def register() -> None:
    from tenants.record.events import Target, events_register

    events_register(
        labels=LABELS,
        targets={
            "deployments.deploymentrequest": Target(_request_names, _link("deployments:detail")),
            "deployments.environment": Target(_environment_names, _link("deployments:environment")),
        },
        details={"deployment": _detail},
    )
