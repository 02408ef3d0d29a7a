"""What a register entry says, laid out after the two tiers of the UK Algorithmic Transparency
Recording Standard (ATRS, v3: https://www.gov.uk/government/collections/algorithmic-transparency-recording-standard-hub):
tier 1 is the plain summary for the public (name, what it does and why, who is accountable, how to
ask or complain); tier 2 the detailed record (owner and responsibility, description and rationale,
decision-making and human oversight, tool specification, data, risks, mitigations and impact
assessment). Each field names the ATRS section it follows.

Two kinds of content meet here: what officers wrote (a version's texts, in their language), and the
portal's facts about the deployment, its impact assessment and its conditions, captured into the
version at publication (`drawn_facts`). No person's name is ever drawn from the portal's records:
the only name the register can show is that of an accountable person who chose it themselves."""

from __future__ import annotations

from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from engagements.models import Capability
from governance import selectors as governance_selectors
from tenants.models import Country

from ..models import DeploymentRequest, Environment
from .models import RegisterEntry, RegisterVersion

STANDARD = "UK Algorithmic Transparency Recording Standard v3.0 (tiers 1 and 2)"
STANDARD_URL = "https://www.gov.uk/government/collections/algorithmic-transparency-recording-standard-hub"

# (key, label, ATRS section) of the officers' texts, in the order a reader meets them.
TIER_1 = [
    ("name", _("Name"), "1.1"),
    ("summary", _("What it does"), "1.2"),
    ("purpose", _("Why it is used"), "1.2"),
    ("how_to_ask", _("How to ask a question or complain"), "1.3–1.4"),
    ("contact_email", _("Contact"), "1.4"),
    ("website", _("More information"), "1.3"),
]
TIER_2 = [
    ("accountable_role", _("Senior responsible owner (role)"), "2.1"),
    ("team", _("Team"), "2.1"),
    ("alternatives", _("What was done before, and alternatives considered"), "2.2"),
    ("human_oversight", _("Human oversight and review"), "2.3"),
    ("data_description", _("Data used"), "2.4"),
    ("risks_mitigations", _("Risks and mitigations"), "2.5"),
]
PHASES = {DeploymentRequest.State.ACTIVE: "in_service", DeploymentRequest.State.SUSPENDED: "suspended"}


def drawn_facts(*, country: Country, request: DeploymentRequest) -> dict:
    """The portal's facts about a deployment as they stand now (in the caller's country context).
    Labels are kept in English, the portal's source language, whoever publishes: the register's
    pages show each one in the reader's language through the catalogue (the `catalogue` filter),
    and the public JSON gives the same words to every program."""
    with translation.override("en"):
        return _drawn_facts(country=country, request=request)


def _drawn_facts(*, country: Country, request: DeploymentRequest) -> dict:
    environment = Environment.objects.filter(request=request).first()
    capabilities = dict(Capability.choices)
    return {
        "organisation": request.organisation.name,
        "organisation_acronym": request.organisation.acronym,
        "sector": str(request.get_sector_display()),
        "phase": PHASES.get(request.state, request.state),
        "in_service_since": environment.created_at.date().isoformat() if environment else None,
        "model": {
            "name": request.model.name,
            "provider": request.model.provider,
            "capabilities": [str(capabilities.get(c, c)) for c in request.capabilities],
        },
        "hosting_region": str(request.get_region_display()),
        "data_classification": str(request.get_data_classification_display()),
        "conditions": {
            "human_review_required": bool(request.human_review_required),
            "approved_until": request.expires_on.isoformat() if request.expires_on else None,
            "recertify_by": environment.recertify_by.isoformat() if environment and environment.recertify_by else None,
        },
        "assessment": governance_selectors.assessment_public_facts(
            country=country, assessment_id=request.assessment_id
        ),
    }


def _date(value) -> str | None:
    return timezone.localtime(value).date().isoformat() if value else None


def history(versions: list[RegisterVersion]) -> list[dict]:
    return [
        {"version": v.number, "published_on": _date(v.published_at), "change": v.change_note}
        for v in sorted(versions, key=lambda v: v.number)
        if v.published_at is not None
    ]


def record(
    *, country: Country, entry: RegisterEntry, version: RegisterVersion | None, versions: list, named: str, url: str
) -> dict:
    """One entry as the public JSON gives it. A withdrawn entry gives its name, dates and the
    reason only; `version` is then None."""
    base = {
        "id": entry.pk,
        "url": url,
        "country": country.code,
        "state": entry.state,
        "name": entry.public_name,
        "language": entry.public_language,
        "first_published_on": _date(entry.first_published_at),
        "last_published_on": _date(entry.last_published_at),
    }
    if entry.state == RegisterEntry.State.WITHDRAWN or version is None:
        return {**base, "withdrawn_on": _date(entry.withdrawn_at), "withdrawal_reason": entry.withdrawal_reason}
    drawn = version.drawn or {}
    return {
        **base,
        "version": version.number,
        "tier_1": {
            "name": version.name,
            "what_it_does": version.summary,
            "why_it_is_used": version.purpose,
            "organisation": drawn.get("organisation", ""),
            "accountable_role": version.accountable_role,
            "accountable_person": named or None,
            "how_to_ask_or_complain": version.how_to_ask,
            "contact_email": version.contact_email or None,
            "website": version.website or None,
            "phase": drawn.get("phase", ""),
        },
        "tier_2": {
            "owner_and_responsibility": {
                "organisation": drawn.get("organisation", ""),
                "team": version.team or None,
                "senior_responsible_owner_role": version.accountable_role,
                "model_provider": (drawn.get("model") or {}).get("provider", ""),
            },
            "description_and_rationale": {
                "sector": drawn.get("sector", ""),
                "alternatives_and_previous_process": version.alternatives or None,
            },
            "decision_making_and_oversight": {
                "human_oversight": version.human_oversight,
                "human_review_required_by_approval": (drawn.get("conditions") or {}).get("human_review_required"),
                "autonomy": (drawn.get("assessment") or {}).get("autonomy") or None,
                "scale": (drawn.get("assessment") or {}).get("scale") or None,
            },
            "tool_specification": {
                "model": (drawn.get("model") or {}).get("name", ""),
                "capabilities": (drawn.get("model") or {}).get("capabilities", []),
                "hosting_region": drawn.get("hosting_region", ""),
                "in_service_since": drawn.get("in_service_since"),
                "approved_until": (drawn.get("conditions") or {}).get("approved_until"),
                "recertify_by": (drawn.get("conditions") or {}).get("recertify_by"),
            },
            "data": {
                "description": version.data_description,
                "classification": drawn.get("data_classification", ""),
                "personal_data": (drawn.get("assessment") or {}).get("data") or None,
            },
            "risks_mitigations_and_impact_assessment": {
                "risks_and_mitigations": version.risks_mitigations or None,
                "impact_assessment": drawn.get("assessment"),
            },
        },
        "published_on": _date(version.published_at),
        "history": history(versions),
        "standard": STANDARD,
    }


CSV_COLUMNS = [
    ("id", lambda r: r["id"]),
    ("state", lambda r: r["state"]),
    ("name", lambda r: r["name"]),
    ("language", lambda r: r["language"]),
    ("version", lambda r: r.get("version", "")),
    ("organisation", lambda r: r.get("tier_1", {}).get("organisation", "")),
    ("what_it_does", lambda r: r.get("tier_1", {}).get("what_it_does", "")),
    ("why_it_is_used", lambda r: r.get("tier_1", {}).get("why_it_is_used", "")),
    ("accountable_role", lambda r: r.get("tier_1", {}).get("accountable_role", "")),
    ("accountable_person", lambda r: r.get("tier_1", {}).get("accountable_person") or ""),
    ("how_to_ask_or_complain", lambda r: r.get("tier_1", {}).get("how_to_ask_or_complain", "")),
    ("contact_email", lambda r: r.get("tier_1", {}).get("contact_email") or ""),
    ("model", lambda r: r.get("tier_2", {}).get("tool_specification", {}).get("model", "")),
    ("model_provider", lambda r: r.get("tier_2", {}).get("owner_and_responsibility", {}).get("model_provider", "")),
    ("data_classification", lambda r: r.get("tier_2", {}).get("data", {}).get("classification", "")),
    (
        "impact_level",
        lambda r: (
            (r.get("tier_2", {}).get("risks_mitigations_and_impact_assessment", {}) or {}).get("impact_assessment")
            or {}
        ).get("impact_level", ""),
    ),
    (
        "eu_ai_act_category",
        lambda r: (
            (r.get("tier_2", {}).get("risks_mitigations_and_impact_assessment", {}) or {}).get("impact_assessment")
            or {}
        ).get("category_label", ""),
    ),
    (
        "human_oversight",
        lambda r: r.get("tier_2", {}).get("decision_making_and_oversight", {}).get("human_oversight", ""),
    ),
    ("first_published_on", lambda r: r["first_published_on"] or ""),
    ("published_on", lambda r: r.get("published_on") or ""),
    ("withdrawn_on", lambda r: r.get("withdrawn_on") or ""),
    ("withdrawal_reason", lambda r: r.get("withdrawal_reason") or ""),
    ("url", lambda r: r["url"]),
]
