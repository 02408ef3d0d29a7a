"""The values of a report's sections in words, for the PDF summary a person reads: each column that
holds a code (a state, a role, a sector, a region, an action of the record, yes or no) is shown by
its label in the reader's language. The CSV, JSON and workbook keep the codes, which programs read."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.utils.translation import gettext, pgettext

from deployments.models import DeploymentDecision, DeploymentRequest, Environment, ProvisioningJob
from engagements.models import Capability, Engagement, EngagementTerms, Sector
from engagements.services import ACTION_LABELS as ENGAGEMENT_ACTIONS
from governance.models import ImpactAssessment, Incident, RequirementStatus
from tenants.conversations.models import Conversation
from tenants.pages import ROLE_LABELS
from tenants.record.events import ACTION_LABELS as RECORD_ACTIONS

from .headings import LABELS
from .shapes import Section
from .writers import plain


def _choices(model, field: str) -> dict:
    return dict(model._meta.get_field(field).flatchoices)


def _one(labels: Callable[[], dict]) -> Callable[[Any], str]:
    def label(value: Any) -> str:
        return str(labels().get(value, value))

    return label


def _many(labels: Callable[[], dict], separator: str) -> Callable[[Any], str]:
    """A list of codes (a list, or codes joined by `separator`), each in words."""

    def label(value: Any) -> str:
        codes = value if isinstance(value, (list, tuple)) else [c for c in str(value).split(separator) if c]
        return ", ".join(str(labels().get(code, code)) for code in codes)

    return label


def _yes_no(value: Any) -> str:
    if value in (True, "yes"):
        return gettext("Yes")
    if value in (False, "no"):
        return gettext("No")
    return str(value)


def _record_action(value: Any) -> str:
    label = RECORD_ACTIONS.get(value)
    return str(label) if label else pgettext("report value", "Recorded action %(code)s") % {"code": value}


def _engagement_action(value: Any) -> str:
    return str(ENGAGEMENT_ACTIONS.get(value, value))


def _roles() -> dict:
    return ROLE_LABELS


def _sectors() -> dict:
    return dict(Sector.choices)


def _capabilities() -> dict:
    return dict(Capability.choices)


def _categories() -> dict:
    return _choices(ImpactAssessment, "category")


def _engagement_states() -> dict:
    return _choices(Engagement, "state")


_role = _one(_roles)
_engagement_state = _one(_engagement_states)

# (section, column) -> how its values read; a column of every section where the name says it all.
SHOWN: dict[tuple[str, str], Callable[[Any], str]] = {
    ("engagements", "state"): _engagement_state,
    ("engagements", "amendment"): _one(lambda: _choices(Engagement, "amendment")),
    ("terms", "sectors"): _many(_sectors, " "),
    ("terms", "capabilities"): _many(_capabilities, " "),
    ("terms", "residency_region"): _one(lambda: _choices(EngagementTerms, "residency_region")),
    ("terms", "economic_model"): _one(lambda: _choices(EngagementTerms, "economic_model")),
    ("engagement_history", "action"): _engagement_action,
    ("engagement_history", "from_state"): _engagement_state,
    ("engagement_history", "to_state"): _engagement_state,
    ("engagement_history", "amendment"): _yes_no,
    ("engagement_history", "by_role"): _role,
    ("policies", "roles"): _many(_roles, ","),
    ("training", "role"): _role,
    ("assessments", "status"): _one(lambda: _choices(ImpactAssessment, "status")),
    ("assessments", "category"): _one(_categories),
    ("incidents", "severity"): _one(lambda: _choices(Incident, "severity")),
    ("incidents", "status"): _one(lambda: _choices(Incident, "status")),
    ("incidents", "late"): _yes_no,
    ("frameworks", "status"): _one(lambda: _choices(RequirementStatus, "status")),
    ("ledger_summary", "action"): _record_action,
    ("conversations", "subject"): _one(lambda: _choices(Conversation, "subject")),
    ("conversations", "by_role"): _role,
    ("deployments", "sector"): _one(lambda: _choices(DeploymentRequest, "sector")),
    ("deployments", "capabilities"): _many(_capabilities, " "),
    ("deployments", "region"): _one(lambda: _choices(DeploymentRequest, "region")),
    ("deployments", "data_classification"): _one(lambda: _choices(DeploymentRequest, "data_classification")),
    ("deployments", "risk_category"): _one(_categories),
    ("deployments", "state"): _one(lambda: _choices(DeploymentRequest, "state")),
    ("deployments", "human_review_required"): _yes_no,
    ("deployments", "environment_state"): _one(lambda: _choices(Environment, "state")),
    ("deployment_decisions", "decision"): _one(lambda: _choices(DeploymentDecision, "decision")),
    ("provisioning", "kind"): _one(lambda: _choices(ProvisioningJob, "kind")),
    ("provisioning", "state"): _one(lambda: _choices(ProvisioningJob, "state")),
    # The sweep's error is one of the portal's sentences (tenants.jobs.sweep.TIMED_OUT); a provider's
    # own words stay as they came.
    ("provisioning", "error"): lambda value: gettext(str(value)),
}


def heading_shown(column: str) -> str:
    """A column's heading in the reader's language (the CSV files' headings)."""
    return str(LABELS.get(column, column))


def value_shown(section: Section, column: str, value: Any) -> str:
    """One value of a section as a person reads it: "" for none, a code in words, else as it is."""
    if value is None or value == "":
        return ""
    shown = SHOWN.get((section.name, column))
    if shown is not None:
        return shown(value)
    if isinstance(value, bool):
        return _yes_no(value)
    return str(plain(value))
