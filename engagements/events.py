"""The engagements' events on the record in words: an engagement named by the organisation that
applies, with a link to the engagement's page; each move by the states it went between and the
version of the terms it concerned. Registered from EngagementsConfig.ready()
(tenants.record.events.events_register)."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext, gettext_lazy

from .models import Engagement

# The moves of a change of terms, recorded as engagement.amendment_<event> (engagements.services).
LABELS = {
    "engagement.approval_recorded": gettext_lazy("First of two approvals recorded"),
    "engagement.amendment_submitted": gettext_lazy("Change of terms submitted"),
    "engagement.amendment_review_started": gettext_lazy("Review of a change of terms started"),
    "engagement.amendment_approved": gettext_lazy("Change of terms approved"),
    "engagement.amendment_rejected": gettext_lazy("Change of terms rejected"),
    "engagement.amendment_changes_requested": gettext_lazy("Changes requested to a change of terms"),
}


def _state(code) -> str:
    states = {**dict(Engagement.State.choices), **dict(Engagement.Amendment.choices)}
    return str(states.get(code, code or ""))


def _detail(action: str, payload: dict) -> str:
    version = payload.get("version")
    if action == "engagement.terms_versioned":
        if payload.get("amendment"):
            return gettext("Version %(version)s of the terms, a change of the approved ones") % {"version": version}
        return gettext("Version %(version)s of the terms") % {"version": version}
    if "from" in payload and "to" in payload:
        moved = {"from": _state(payload["from"]), "to": _state(payload["to"])}
        if isinstance(version, int):
            return gettext("Terms version %(version)s; from %(from)s to %(to)s") % {"version": version, **moved}
        return gettext("From %(from)s to %(to)s") % moved
    if isinstance(version, int):
        return gettext("Terms version %(version)s") % {"version": version}
    return ""


def _names(country, ids: set[int]):
    return Engagement.objects.filter(country=country, pk__in=ids).values_list("pk", "organisation__name")


def _shown(country, pk: int, organisation: str) -> tuple[str, str]:
    link = reverse("engagement:home", kwargs={"code": country.code.lower()})
    return gettext("Engagement of %(organisation)s") % {"organisation": organisation}, link


def register() -> None:
    from tenants.record.events import Target, events_register

    events_register(
        labels=LABELS,
        targets={"engagements.engagement": Target(_names, lambda country, pk: "", _shown)},
        details={"engagement": _detail},
    )
