"""Demo engagements (seed_demo): France active after a round of changes, Kenya waiting in review,
Estonia approved and about to start, Brazil drafting. Idempotent: a country that already has an
engagement is left alone. Made through the services, so the history and the ledger are real."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone

from engagements import selectors, services
from engagements.models import Engagement, EngagementTransition
from tenants.access import access_for
from tenants.conversations import services as conversation_services
from tenants.isolation import country_context
from tenants.models import Country, Organisation

PLANS = {
    # code: (admin, applying organisation, partner manager, target state, terms)
    "FR": (
        "amelie",
        "DINUM",
        "priya",
        "active",
        dict(
            sectors=["public_services", "education"],
            capabilities=["text", "embeddings", "speech"],
            residency_region="eu-west",
            monthly_token_quota=250_000_000,
            start=-60,
            end=3 * 365,
            economic_model="usage_based",
            conditions="Usage billed monthly at the programme's public-sector rate.",
        ),
    ),
    "KE": (
        "wanjiku",
        "MICDE",
        "priya",
        "in_review",
        dict(
            sectors=["health", "public_services", "agriculture"],
            capabilities=["text", "speech"],
            residency_region="af-east",
            monthly_token_quota=80_000_000,
            start=30,
            end=2 * 365,
            economic_model="grant",
            conditions="Sponsored for two years; Swahili speech models in scope.",
        ),
    ),
    "EE": (
        "kadri",
        "MKM",
        "priya",
        "approved",
        dict(
            sectors=["public_services", "security"],
            capabilities=["text", "vision", "fine_tuning"],
            residency_region="eu-north",
            monthly_token_quota=40_000_000,
            start=14,
            end=None,
            economic_model="fixed",
            conditions="Fixed annual fee; fine-tuning only on data hosted in Estonia.",
        ),
    ),
    "BR": (
        "lucas",
        "MGI",
        "marcus",
        "draft",
        dict(
            sectors=["public_services", "education", "health"],
            capabilities=["text"],
            residency_region="sa-east",
            monthly_token_quota=150_000_000,
            start=90,
            end=None,
            economic_model="usage_based",
            conditions="",
        ),
    ),
}


def _terms(plan: dict, **change) -> dict:
    today = timezone.localdate()
    terms = {k: v for k, v in plan.items() if k not in ("start", "end")}
    terms["start_date"] = today + timedelta(days=plan["start"])
    terms["end_date"] = today + timedelta(days=plan["end"]) if plan["end"] else None
    terms.update(change)
    return terms


def _converse(engagement, admin, admin_access, partner, partner_access) -> None:
    """A short exchange on the engagement, with a file, so the dialogue has something to show."""
    subject = selectors.conversation_subject(engagement=engagement)
    conversation_services.message_post(
        subject=subject,
        by=admin,
        access=admin_access,
        text="Our plan for the first quarter is attached. Does the training schedule fit the programme's?",
        attachment_name="first-quarter-plan.txt",
        attachment_data=b"January: policies adopted.\nFebruary: staff trained.\nMarch: first deployment.\n",
    )
    conversation_services.message_post(
        subject=subject,
        by=partner,
        access=partner_access,
        text="It fits. Start the training in February as planned; we will review progress in March.",
    )


def seed(*, countries: dict[str, Country], say: Callable[[str], None] = print) -> None:
    User = get_user_model()
    for code, (admin_name, acronym, partner_name, target, plan) in PLANS.items():
        country = countries.get(code)
        if country is None:
            continue
        with country_context(country):
            if Engagement.objects.exists():
                continue
            organisation = Organisation.objects.get(acronym=acronym)
        admin, partner = User.objects.get(username=admin_name), User.objects.get(username=partner_name)
        admin_access, partner_access = access_for(admin), access_for(partner)

        def move(engagement, action, user, access, comment=""):
            return services.engagement_transition(
                engagement=engagement, action=action, by=user, access=access, comment=comment
            )

        first = _terms(plan, monthly_token_quota=plan["monthly_token_quota"] * 2) if code == "FR" else _terms(plan)
        engagement = services.engagement_create(
            country=country, by=admin, access=admin_access, organisation=organisation, **first
        )
        if target != "draft":
            engagement = move(engagement, "submit", admin, admin_access, "Ready for review.")
            engagement = move(engagement, "start_review", partner, partner_access)
        if code == "FR":
            engagement = move(
                engagement,
                "request_changes",
                partner,
                partner_access,
                "Start with half the quota; we can raise it after the first quarter.",
            )
            services.engagement_terms_create(engagement=engagement, by=admin, access=admin_access, **_terms(plan))
            engagement = move(engagement, "submit", admin, admin_access, "Quota halved as agreed.")
        if target in ("approved", "active"):
            engagement = move(engagement, "approve", partner, partner_access, "Terms agreed.")
        if target == "active":
            engagement = move(engagement, "activate", admin, admin_access, "Started.")
        if target == "in_review":
            # Waiting for a while: the queue and the reminders have something to show.
            with country_context(country):
                waited = timezone.now() - timedelta(days=5)
                Engagement.objects.filter(pk=engagement.pk).update(submitted_at=waited)
                EngagementTransition.objects.filter(engagement=engagement).update(at=waited)
        _converse(engagement, admin, admin_access, partner, partner_access)
        say(f"  engagement {code} {engagement.get_state_display().lower()}")
