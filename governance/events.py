"""Governance's events on the record in words: a policy named by its title (a version by its policy
and number), an assessment and an incident by their titles, a control by its requirement, evidence
by its file; each payload through the labels of its codes. Registered from GovernanceConfig.ready()
(tenants.record.events.events_register), read with every other kind of target in one query."""

from __future__ import annotations

from datetime import date

from django.db.models import CharField, Value
from django.db.models.functions import Cast, Concat
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils.translation import gettext, gettext_lazy, ngettext

from tenants.ids import parse_id
from tenants.languages.formatting import long_date
from tenants.pages import ROLE_LABELS

from .models import CountryPolicy, EvidenceFile, ImpactAssessment, Incident, PolicyVersion, RequirementStatus

LABELS = {"policy.unshared": gettext_lazy("Policy no longer shared")}
SEPARATOR = "\x1f"  # between the parts of a name read in one column (no title holds it)


def _url(name: str, country, **kwargs) -> str:
    return reverse(f"governance:{name}", kwargs={"code": country.code.lower(), **kwargs})


def _date(value) -> str:
    try:
        return long_date(date.fromisoformat(str(value)))
    except ValueError:
        return str(value)


def _policy(action: str, payload: dict) -> str:
    if action == "policy.reminders_sent":
        count = payload.get("count", 0)
        return ngettext("%(count)s reminder sent", "%(count)s reminders sent", count) % {"count": count}
    if action == "policy.adopted":
        if payload.get("template"):
            return gettext("From the platform's template")
        if payload.get("shared_policy"):
            return gettext("From a policy another country shared")
        return ""
    if "number" not in payload:
        return ""
    if action == "policy.version_published":
        roles = [str(ROLE_LABELS.get(r, r)).lower() for r in payload.get("roles") or []]
        if roles:
            return gettext("Version %(number)s, to be acknowledged by: %(roles)s") % {
                "number": payload["number"],
                "roles": ", ".join(roles),
            }
    return gettext("Version %(number)s") % {"number": payload["number"]}


def _assessment(action: str, payload: dict) -> str:
    if "review_by" in payload:
        return gettext("To review by %(date)s") % {"date": _date(payload["review_by"])}
    if action == "assessment.completed":
        category = dict(ImpactAssessment.Category.choices).get(payload.get("category"), payload.get("category"))
        return gettext("Impact level %(level)s, %(category)s") % {
            "level": payload.get("level", ""),
            "category": str(category or "").lower(),
        }
    if payload.get("supersedes"):
        return gettext("Replaces assessment no. %(id)s") % {"id": payload["supersedes"]}
    return ""


def _control(action: str, payload: dict) -> str:
    if action == "control.evidence_added":
        return gettext("Requirement %(requirement)s: version %(version)s of the file (%(kind)s, %(size)s)") % {
            "requirement": payload.get("requirement", ""),
            "version": payload.get("version", ""),
            "kind": str(payload.get("kind", "")).upper(),
            "size": filesizeformat(payload.get("size") or 0),
        }
    states = dict(RequirementStatus.Status.choices)
    return gettext("Requirement %(requirement)s: from %(from)s to %(to)s") % {
        "requirement": payload.get("requirement", ""),
        "from": states.get(payload.get("from"), payload.get("from", "")),
        "to": states.get(payload.get("to"), payload.get("to", "")),
    }


def _incident(action: str, payload: dict) -> str:
    if action == "incident.reported":
        people = payload.get("people_affected", 0)
        severity = dict(Incident.Severity.choices).get(payload.get("severity"), payload.get("severity", ""))
        return ngettext(
            "Severity: %(severity)s; %(count)s person affected",
            "Severity: %(severity)s; %(count)s people affected",
            people if isinstance(people, int) else 0,
        ) % {"severity": str(severity).lower(), "count": people}
    if action == "incident.reported_to_programme":
        return gettext("After its deadline") if payload.get("late") else gettext("Within its deadline")
    if action == "incident.reminder_sent":
        return gettext("The report is overdue") if payload.get("overdue") else gettext("The report is due soon")
    if "from" in payload and "to" in payload:
        states = dict(Incident.Status.choices)
        return gettext("From %(from)s to %(to)s") % {
            "from": states.get(payload["from"], payload["from"]),
            "to": states.get(payload["to"], payload["to"]),
        }
    return ""


def _version_names(country, ids: set[int]):
    return (
        PolicyVersion.objects.filter(country=country, pk__in=ids)
        .annotate(
            named=Concat(
                Cast("policy_id", CharField()),
                Value(SEPARATOR),
                Cast("number", CharField()),
                Value(SEPARATOR),
                "policy__title",
                output_field=CharField(),
            )
        )
        .values_list("pk", "named")
    )


def _version_shown(country, pk: int, named: str) -> tuple[str, str]:
    policy, number, title = (named.split(SEPARATOR, 2) + ["", ""])[:3]
    policy_id = parse_id(policy)
    link = _url("policy", country, pk=policy_id) if policy_id else ""
    return gettext("%(policy)s, version %(number)s") % {"policy": title, "number": number}, link


def _control_names(country, ids: set[int]):
    return (
        RequirementStatus.objects.filter(country=country, pk__in=ids)
        .annotate(
            named=Concat(
                "requirement__framework__slug",
                Value(SEPARATOR),
                "requirement__code",
                Value(SEPARATOR),
                "requirement__title",
                output_field=CharField(),
            )
        )
        .values_list("pk", "named")
    )


def _control_shown(country, pk: int, named: str) -> tuple[str, str]:
    slug, code, title = (named.split(SEPARATOR, 2) + ["", ""])[:3]
    return f"{code} {title}".strip(), _url("requirement", country, slug=slug, req=code) if slug and code else ""


def _titles(model):
    return lambda country, ids: model.objects.filter(country=country, pk__in=ids).values_list("pk", "title")


def _link(name: str):
    return lambda country, pk: _url(name, country, pk=pk)


def _framework(action: str, payload: dict) -> str:
    """A framework imported by the platform team (on the platform chain): which version it is, and
    what it holds."""
    requirements = payload.get("requirements")
    requirements = requirements if isinstance(requirements, int) and not isinstance(requirements, bool) else 0
    version = payload.get("version")
    if payload.get("status") == "new_version":
        text = ngettext(
            "New version %(version)s: %(count)s requirement",
            "New version %(version)s: %(count)s requirements",
            requirements,
        )
    else:
        text = ngettext(
            "Version %(version)s: %(count)s requirement", "Version %(version)s: %(count)s requirements", requirements
        )
    return text % {"version": version if isinstance(version, int) else "", "count": requirements}


def register() -> None:
    from tenants.record.events import Target, events_register

    events_register(
        labels=LABELS,
        targets={
            "governance.countrypolicy": Target(_titles(CountryPolicy), _link("policy")),
            "governance.policyversion": Target(_version_names, lambda country, pk: "", _version_shown),
            "governance.impactassessment": Target(_titles(ImpactAssessment), _link("assessment")),
            "governance.incident": Target(_titles(Incident), _link("incident")),
            "governance.requirementstatus": Target(_control_names, lambda country, pk: "", _control_shown),
            "governance.evidencefile": Target(
                lambda country, ids: EvidenceFile.objects.filter(country=country, pk__in=ids).values_list("pk", "name"),
                _link("evidence_download"),
            ),
        },
        details={
            "policy": _policy,
            "assessment": _assessment,
            "control": _control,
            "incident": _incident,
            "framework": _framework,
        },
    )
