"""The deployments' events on the record in words: each action's label, a request named by its
title with a link, an environment by its name, and a move by the states it went between. The
names are read with those of every other kind of target on the page, in one query."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext, gettext_lazy

from .models import DeploymentRequest, Environment

STATES = dict(DeploymentRequest.State.choices)
LABELS = {
    "deployment.drafted": gettext_lazy("Deployment request drafted"),
    "deployment.updated": gettext_lazy("Deployment request changed"),
    "deployment.deleted": gettext_lazy("Draft deployment request deleted"),
    "deployment.submit": gettext_lazy("Deployment request submitted for review"),
    "deployment.withdraw": gettext_lazy("Deployment request withdrawn from review"),
    "deployment.start_review": gettext_lazy("Review of a deployment request started"),
    "deployment.approve": gettext_lazy("Deployment request approved"),
    "deployment.reject": gettext_lazy("Deployment request rejected"),
    "deployment.request_changes": gettext_lazy("Changes requested on a deployment request"),
    "deployment.provisioning_start": gettext_lazy("Provisioning started"),
    "deployment.provisioning_done": gettext_lazy("Deployment active"),
    "deployment.provisioning_failed": gettext_lazy("Provisioning failed"),
    "deployment.job_retried": gettext_lazy("Stopped job tried again"),
    "deployment.suspend": gettext_lazy("Deployment suspended"),
    "deployment.reinstate": gettext_lazy("Deployment reinstated"),
    "deployment.decommission": gettext_lazy("Deployment decommissioned"),
    "environment.capture_changed": gettext_lazy("Storage of prompts and outputs changed"),
    "environment.gateway_stopped": gettext_lazy("Calls stopped (kill switch)"),
    "environment.gateway_resumed": gettext_lazy("Calls allowed again"),
    "environment.quota_alert": gettext_lazy("Usage alert"),
    "environment.recertification_reminded": gettext_lazy("Recertification reminder sent"),
    "environment.recertified": gettext_lazy("Environment recertified"),
    "environment.usage_reported": gettext_lazy("Usage reported"),
}


def _request_names(country, ids: set[int]):
    return DeploymentRequest.objects.filter(country=country, pk__in=ids).values_list("pk", "title")


def _environment_names(country, ids: set[int]):
    return Environment.objects.filter(country=country, pk__in=ids).values_list("pk", "name")


def _link(name: str):
    return lambda country, pk: reverse(name, kwargs={"code": country.code.lower(), "pk": pk})


def _detail(action: str, payload: dict) -> str:
    if "from" in payload and "to" in payload:
        states = {"from": STATES.get(payload["from"], payload["from"]), "to": STATES.get(payload["to"], payload["to"])}
        # An approval says which one it was: a high-risk request needs two, by two people.
        if isinstance(payload.get("approvals"), int) and isinstance(payload.get("approvals_needed"), int):
            return gettext("Approval %(count)s of %(needed)s; from %(from)s to %(to)s") % {
                "count": payload["approvals"],
                "needed": payload["approvals_needed"],
                **states,
            }
        if isinstance(payload.get("approvals"), int):
            return gettext("Approval %(count)s; from %(from)s to %(to)s") % {"count": payload["approvals"], **states}
        return gettext("From %(from)s to %(to)s") % states
    if "model" in payload:
        return gettext("Model: %(model)s") % {"model": payload["model"]}
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
