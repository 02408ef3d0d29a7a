"""The deployments' events on the record in words: each action's label, a request named by its
title with a link, an environment by its name, and a move by the states it went between. The
names are read with those of every other kind of target on the page, in one query."""

from __future__ import annotations

from datetime import UTC, date, datetime

from django.db.models import CharField, Value
from django.db.models.functions import Cast, Concat
from django.urls import reverse
from django.utils.translation import gettext, gettext_lazy, ngettext

from tenants.ids import parse_id
from tenants.languages.formatting import grouped_number, long_date, long_datetime
from tenants.models import Country

from .models import CountryUpstream, DeploymentRequest, Environment
from .register.models import RegisterEntry, RegisterVersion

SEPARATOR = "\x1f"
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
    "gateway.usage_hour": gettext_lazy("An hour of calls through the gateway counted"),
    "gateway.usage_hour_corrected": gettext_lazy("An hour of calls through the gateway counted again"),
    "register.contact_named": gettext_lazy("Accountable person named in the register"),
    "register.contact_unnamed": gettext_lazy("Accountable person no longer named in the register"),
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


def _environment(action: str, payload: dict) -> str:
    if action == "environment.quota_alert":
        return gettext("%(level)s%% of the monthly quota used") % {"level": payload.get("level", "")}
    if action == "environment.capture_changed":
        if not payload.get("enabled"):
            return gettext("Off")
        days = payload.get("retention_days") if isinstance(payload.get("retention_days"), int) else 0
        return ngettext("On; kept %(days)s day", "On; kept %(days)s days", days) % {"days": days}
    if action == "environment.usage_reported" and isinstance(payload.get("units"), int):
        return gettext("%(units)s tokens") % {"units": grouped_number(payload["units"])}
    if action == "environment.recertified" and payload.get("until"):
        return gettext("Approved until %(date)s") % {"date": _day(payload["until"])}
    return ""


def _credential(action: str, payload: dict) -> str:
    number = payload.get("key_number")
    return gettext("Key no. %(number)s") % {"number": number} if number is not None else ""


def _gateway(action: str, payload: dict) -> str:
    region = dict(Country.Region.choices).get(payload.get("region"), payload.get("region") or "")
    if action == "gateway.upstream_set":
        text = gettext("%(region)s, with a key") if payload.get("with_key") else gettext("%(region)s, without a key")
        return text % {"region": region}
    if action == "gateway.upstream_removed":
        return str(region)
    if action == "gateway.captures_deleted":
        count = payload.get("calls") if isinstance(payload.get("calls"), int) else 0
        return ngettext("%(count)s captured call deleted", "%(count)s captured calls deleted", count) % {"count": count}
    if "hour" in payload:
        calls = payload.get("calls") if isinstance(payload.get("calls"), int) else 0
        return ngettext(
            "%(hour)s: %(calls)s call (%(refused)s refused), %(units)s tokens",
            "%(hour)s: %(calls)s calls (%(refused)s refused), %(units)s tokens",
            calls,
        ) % {
            "hour": _hour(payload["hour"]),
            "calls": calls,
            "refused": payload.get("refused", 0),
            "units": grouped_number(payload["units"]) if isinstance(payload.get("units"), int) else 0,
        }
    return ""


def _register(action: str, payload: dict) -> str:
    if action == "register.contact_named":
        return gettext("The accountable person chose to be named")
    if action == "register.contact_unnamed":
        return gettext("The accountable person chose not to be named")
    version = payload.get("version")
    return gettext("Version %(version)s") % {"version": version} if version is not None else ""


def _day(value) -> str:
    try:
        return long_date(date.fromisoformat(str(value)))
    except ValueError:
        return str(value)


def _hour(value) -> str:
    try:
        return long_datetime(datetime.strptime(str(value), "%Y-%m-%dT%H:%MZ").replace(tzinfo=UTC))
    except ValueError:
        return str(value)


def _register_version_names(country, ids: set[int]):
    return (
        RegisterVersion.objects.filter(country=country, pk__in=ids)
        .annotate(
            named=Concat(
                Cast("entry_id", CharField()),
                Value(SEPARATOR),
                Cast("number", CharField()),
                Value(SEPARATOR),
                "name",
                output_field=CharField(),
            )
        )
        .values_list("pk", "named")
    )


def _register_version_shown(country, pk: int, named: str) -> tuple[str, str]:
    entry, number, name = (named.split(SEPARATOR, 2) + ["", ""])[:3]
    entry_id = parse_id(entry)
    link = reverse("register:entry", kwargs={"code": country.code.lower(), "pk": entry_id}) if entry_id else ""
    return gettext("%(name)s, version %(number)s") % {"name": name, "number": number}, link


def register() -> None:
    from tenants.record.events import Target, events_register

    events_register(
        labels=LABELS,
        targets={
            "deployments.deploymentrequest": Target(_request_names, _link("deployments:detail")),
            "deployments.environment": Target(_environment_names, _link("deployments:environment")),
            "deployments.countryupstream": Target(
                lambda country, ids: CountryUpstream.objects.filter(country=country, pk__in=ids).values_list(
                    "pk", "name"
                ),
                lambda country, pk: reverse("deployments:upstreams", kwargs={"code": country.code.lower()}),
            ),
            "deployments.registerentry": Target(
                lambda country, ids: RegisterEntry.objects.filter(country=country, pk__in=ids).values_list(
                    "pk", "public_name"
                ),
                _link("register:entry"),
            ),
            "deployments.registerversion": Target(
                _register_version_names, lambda country, pk: "", _register_version_shown
            ),
        },
        details={
            "deployment": _detail,
            "environment": _environment,
            "credential": _credential,
            "gateway": _gateway,
            "register": _register,
        },
    )
