"""The EU database registration pack of a high-risk deployment in an EU member state.

Under the EU AI Act (Regulation (EU) 2024/1689), a deployer that is a public authority, or acts on
its behalf, registers its use of a high-risk system of Annex III in the EU database before putting
it into service (Art. 26(8) and Art. 49(3)); what it registers is listed in Annex VIII, Section C.
Systems used for law enforcement, migration, asylum and border control (Annex III points 1, 6 and 7)
go to a secure, non-public section (Art. 49(4)). This module fills each field from the portal's data
and lists what the portal does not hold, so that the person who registers knows what to add.
Official text: https://eur-lex.europa.eu/eli/reg/2024/1689/oj"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from governance import selectors as governance_selectors
from tenants.models import Country

from ..models import DeploymentRequest, Environment
from .models import RegisterEntry, RegisterVersion

BASIS = gettext_lazy("Regulation (EU) 2024/1689, Art. 49(3) and Annex VIII, Section C")
OFFICIAL_TEXT = "https://eur-lex.europa.eu/eli/reg/2024/1689/oj"
EU_MEMBER_STATES = frozenset("AT BE BG CY CZ DE DK EE ES FI FR GR HR HU IE IT LT LU LV MT NL PL PT RO SE SI SK".split())
# The questionnaire's purposes that are Annex III areas, with their point.
ANNEX_III = {
    "education_access": 3,
    "employment": 4,
    "essential_services": 5,
    "law_enforcement": 6,
    "migration": 7,
    "justice": 8,
}
SECURE_SECTION_POINTS = frozenset({1, 6, 7})


@dataclass
class PackField:
    key: str
    label: str
    basis: str
    value: str | list[str] | None
    missing: bool = False
    note: str = ""


UNREAD = object()


def applies(*, country: Country, request: DeploymentRequest, assessment=UNREAD) -> bool:
    """A pack is made for a high-risk deployment of a country in the EU. `assessment`: the request's
    assessment as the assessment gate read it (governance's AssessmentSummary, None when there is
    none), so that no query is made again for it."""
    if country.code not in EU_MEMBER_STATES:
        return False
    if assessment is UNREAD:
        facts = governance_selectors.assessment_public_facts(country=country, assessment_id=request.assessment_id)
        category = facts["category"] if facts else ""
    else:  # as assessment_public_facts: completed once, and not a draft
        public = assessment is not None and assessment.status != "draft" and assessment.completed_at is not None
        category = assessment.category if public else ""
    return request.risk_category == "high_risk" or category == "high_risk"


def _contact(request: DeploymentRequest) -> str:
    """The register entry's public contact mailbox, published first, else drafted."""
    entry = RegisterEntry.objects.filter(request=request).first()
    if entry is None:
        return ""
    versions = RegisterVersion.objects.filter(entry=entry).exclude(contact_email="")
    version = versions.filter(status=RegisterVersion.Status.PUBLISHED).first() or versions.order_by("-number").first()
    return version.contact_email if version else ""


def pack(*, country: Country, request: DeploymentRequest) -> dict:
    """The pack, in the caller's country context: the fields, what is missing, and why."""
    facts = governance_selectors.assessment_public_facts(country=country, assessment_id=request.assessment_id)
    environment = Environment.objects.filter(request=request).first()
    contact = _contact(request)
    point = ANNEX_III.get((facts or {}).get("purpose_key", ""))
    section_c = _("Annex VIII, Section C")
    fields = [
        PackField(
            "system",
            _("The AI system and its use"),
            _("Art. 49(3)"),
            [
                _("Deployment: %(title)s") % {"title": request.title},
                _("Model: %(model)s (%(provider)s)")
                % {"model": request.model.name, "provider": request.model.provider or "—"},
                _("Intended purpose: %(purpose)s") % {"purpose": request.purpose},
                _("Annex III area: point %(point)s") % {"point": point} if point else _("Annex III area: not recorded"),
                _("In service since %(date)s") % {"date": environment.created_at.date().isoformat()}
                if environment
                else _("Not yet in service (%(state)s)") % {"state": request.get_state_display().lower()},
            ],
            missing=point is None,
            note=""
            if point
            else _("The impact assessment does not place the use in an Annex III area: check the classification."),
        ),
        PackField(
            "deployer",
            _("Name, address and contact details of the deployer"),
            _("{section_c}, point 1").format(section_c=section_c),
            [f"{request.organisation.name} ({country.name})"] + ([contact] if contact else []),
            missing=True,
            note=_("The portal holds no postal address for %(org)s: add it.") % {"org": request.organisation.name}
            + (
                ""
                if contact
                else " " + _("No contact mailbox either: add one to the register entry of this deployment.")
            ),
        ),
        PackField(
            "submitter",
            _("Name, address and contact details of the person who submits on the deployer's behalf"),
            _("{section_c}, point 2").format(section_c=section_c),
            None,
            missing=True,
            note=_("Filled in by the person who makes the registration."),
        ),
        PackField(
            "provider_entry",
            _("URL of the provider's entry for the system in the EU database"),
            _("{section_c}, point 3").format(section_c=section_c),
            request.model.eu_database_url or None,
            missing=not request.model.eu_database_url,
            note=""
            if request.model.eu_database_url
            else _(
                "Ask %(provider)s for the URL of its entry for %(model)s; a platform admin records it on the model in the catalogue."
            )
            % {"provider": request.model.provider or _("the provider"), "model": request.model.name},
        ),
        _fria(facts),
        _dpia(request, facts),
    ]
    missing = [f for f in fields if f.missing]
    return {
        "basis": BASIS,
        "official_text": OFFICIAL_TEXT,
        "generated_at": timezone.now().isoformat(),
        "country": {"code": country.code, "name": country.name},
        "deployment": {"id": request.pk, "title": request.title, "state": request.state},
        "secure_section": point in SECURE_SECTION_POINTS,
        "complete": not missing,
        "fields": [{**asdict(f), "lines": _lines(f.value)} for f in fields],
        "missing": [{"key": f.key, "label": f.label, "note": f.note} for f in missing],
    }


def _lines(value) -> list[str]:
    if value is None or value == "":
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def _fria(facts: dict | None) -> PackField:
    label, basis = (
        _("Summary of the findings of the fundamental-rights impact assessment"),
        _("Annex VIII, Section C, point 4; Art. 27"),
    )
    if not facts:
        return PackField(
            "fria", label, basis, None, missing=True, note=_("Complete the impact assessment of this use first.")
        )
    summary = [
        _("Impact assessment completed on %(date)s: impact level %(level)s, %(category)s.")
        % {"date": facts["completed_on"], "level": facts["impact_level"], "category": facts["category_label"].lower()},
        _("People affected: %(people)s. Decisions: %(autonomy)s. Effects: %(reversibility)s.")
        % {"people": facts["people_affected"], "autonomy": facts["autonomy"], "reversibility": facts["reversibility"]},
    ]
    if facts["obligations"]:
        summary.append(_("Obligations: %(list)s.") % {"list": "; ".join(facts["obligations"])})
    if facts["safeguards"]:
        summary.append(_("Safeguards in place: %(list)s.") % {"list": "; ".join(facts["safeguards"])})
    return PackField(
        "fria",
        label,
        basis,
        summary,
        note=_(
            "Drawn from the portal's impact assessment, which covers Art. 27(1) in part: check it before submitting."
        ),
    )


def _dpia(request: DeploymentRequest, facts: dict | None) -> PackField:
    label, basis = (
        _("Summary of the data protection impact assessment, where one is required"),
        _("Annex VIII, Section C, point 5; GDPR Art. 35"),
    )
    personal = request.data_classification == DeploymentRequest.Classification.PERSONAL or (facts or {}).get(
        "data_key"
    ) in ("personal", "special")
    if not personal:
        return PackField("dpia", label, basis, _("Not applicable: the use processes no personal data."))
    done = bool(facts) and "dpia" in facts["safeguard_keys"]
    if done:
        return PackField(
            "dpia",
            label,
            basis,
            _("A data protection impact assessment was carried out (recorded in the impact assessment of %(date)s).")
            % {"date": facts["completed_on"]},
            note=_("Add a summary of its findings."),
        )
    return PackField(
        "dpia",
        label,
        basis,
        None,
        missing=True,
        note=_("The use processes personal data and no data protection impact assessment is recorded."),
    )
