"""Governance history of the demo countries (called by seed_demo). Idempotent: a country that
already has a policy is left as it is. Everything goes through the services, so the ledger holds
the same events a real country would have."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from django.utils import timezone

from tenants.access import access_for
from tenants.isolation import country_context
from tenants.models import Country, Membership

from . import catalogue, incidents, services
from .models import CountryPolicy, PolicyTemplate, Requirement

BASE = {
    "people": "some_public",
    "autonomy": "suggestion",
    "data": "personal",
    "reversibility": "easy",
    "scale": "regional",
    "interaction": "none",
    "mitigations": ["logging", "human_review"],
}
# Per country: (title, reference, answers, completed?)
ASSESSMENTS = {
    "FR": [
        (
            "Assistant de rédaction pour les agents",
            "DINUM-REDAC",
            {**BASE, "purpose": "internal_productivity", "people": "staff", "data": "none"},
            True,
        ),
        (
            "Chatbot d'information sur les bourses scolaires",
            "MEN-BOURSES",
            {**BASE, "purpose": "public_information", "interaction": "conversation", "scale": "national"},
            True,
        ),
        (
            "Pré-instruction des demandes d'aide sociale",
            "MEN-AIDES",
            {**BASE, "purpose": "essential_services", "people": "vulnerable", "autonomy": "approved"},
            True,
        ),
        ("Tri des signalements CNIL", "CNIL-TRI", {"purpose": "case_triage", "people": "some_public"}, False),
    ],
    "KE": [
        (
            "Health records summarisation",
            "MOH-SUM",
            {**BASE, "purpose": "case_triage", "data": "special", "people": "vulnerable"},
            True,
        ),
        (
            "Taxpayer help desk assistant",
            "KRA-HELP",
            {**BASE, "purpose": "public_information", "interaction": "conversation", "scale": "national"},
            True,
        ),
    ],
    "EE": [
        (
            "Document translation for e-services",
            "RIA-TRANS",
            {**BASE, "purpose": "public_information", "interaction": "published_content"},
            True,
        )
    ],
    "BR": [("Triagem de pedidos de benefícios", "MGI-BEN", {"purpose": "essential_services"}, False)],
}
STATUSES = ["compliant", "compliant", "partial", "compliant", "non_compliant", "partial", "not_applicable"]


def seed(*, countries: dict[str, Country], say: Callable[[str], None] = print) -> None:
    catalogue.load()
    templates = list(PolicyTemplate.objects.order_by("slug"))
    for code, country in countries.items():
        with country_context(country):
            if CountryPolicy.objects.exists():
                continue
            members = list(
                Membership.objects.filter(status=Membership.Status.ACTIVE).select_related("user").order_by("pk")
            )
        admin = next((m.user for m in members if m.role == Membership.Role.COUNTRY_ADMIN), None)
        if admin is None:
            continue
        officer = next((m.user for m in members if m.role == Membership.Role.OFFICER), admin)
        admin_act = {"by": admin, "access": access_for(admin)}
        officer_act = {"by": officer, "access": access_for(officer)}
        # Countries further along adopted every template; the others three of them.
        chosen = templates if country.status == Country.Status.ACTIVE else templates[:3]
        versions = []
        for template in chosen:
            policy = services.policy_adopt(country=country, template=template, **admin_act)
            with country_context(country):
                version = policy.versions.get(number=1)
            versions.append(
                services.policy_version_publish(
                    version=version, reason="Adopted from the programme's template.", **admin_act
                )
            )
        if code == "FR" and versions:
            # France localised its generative-AI policy once and shares it with the network.
            policy = versions[0].policy
            v2 = services.policy_version_create(
                policy=policy,
                language="fr",
                roles=list(versions[0].roles),
                text=versions[0].text + "\n\nPrécision nationale\nLes agents signalent à la DINUM tout usage d'un "
                "outil génératif non référencé.",
                **admin_act,
            )
            versions[0] = services.policy_version_publish(
                version=v2, reason="Précision nationale sur le signalement des outils génératifs.", **admin_act
            )
            services.policy_share(
                policy=policy, reason="Offert au réseau : d'autres pays peuvent s'en inspirer.", **admin_act
            )
        # Everyone has acknowledged, except the last member of each country (so reminders have work).
        for membership in members[:-1] if len(members) > 1 else members:
            act = {"by": membership.user, "access": access_for(membership.user)}
            for version in versions:
                if membership.role in version.roles:
                    services.acknowledgement_create(version=version, **act)
        for title, reference, answers, complete in ASSESSMENTS.get(code, []):
            assessment = services.assessment_create(
                country=country, title=title, use_reference=reference, answers=answers, **officer_act
            )
            if complete:
                services.assessment_complete(assessment=assessment, **officer_act)
        for position, requirement in enumerate(
            Requirement.objects.filter(framework__slug="eu-ai-act").order_by("position")[: len(STATUSES)]
        ):
            owner = next((m for m in members if m.role != Membership.Role.VIEWER), None)
            services.requirement_status_set(
                country=country, requirement=requirement, status=STATUSES[position], owner=owner, **admin_act
            )
        if code in ("FR", "KE"):
            incidents.incident_report(
                country=country,
                title="Chat assistant gave outdated eligibility rules",
                severity="major",
                description="For two days the assistant quoted the previous year's income thresholds.",
                people_affected=140,
                deployment_reference=ASSESSMENTS[code][1][1],
                steps_taken="Knowledge base refreshed; affected applicants contacted.",
                detected_at=timezone.now() - timedelta(days=9),
                **officer_act,
            )
        say(f"  governance for {code}: {len(versions)} policies, {len(ASSESSMENTS.get(code, []))} assessments")
