"""Shared builders of the governance tests: adopt, publish, assess and report as the cast would."""

from __future__ import annotations

from governance import services
from governance.models import PolicyTemplate
from tenants.access import access_for
from tenants.isolation import country_context
from tenants.record.models import CountryEvent

LOW = {
    "purpose": "internal_productivity",
    "people": "staff",
    "autonomy": "suggestion",
    "data": "none",
    "reversibility": "easy",
    "scale": "pilot",
    "interaction": "none",
    "mitigations": ["logging"],
}
HIGH = {**LOW, "purpose": "essential_services", "people": "vulnerable"}


def act(user):
    return {"by": user, "access": access_for(user)}


def published_policy(cast, country=None, admin=None, slug="generative-ai-acceptable-use"):
    country = country or cast.fr
    admin = admin or cast.owner
    policy = services.policy_adopt(country=country, template=PolicyTemplate.objects.get(slug=slug), **act(admin))
    with country_context(country):
        version = policy.versions.get(number=1)
    services.policy_version_publish(version=version, reason="Reviewed and ready.", **act(admin))
    with country_context(country):
        version.refresh_from_db()
    return policy, version


def completed_assessment(cast, answers=None, user=None, title="Tax form assistant", country=None):
    user = user or cast.member
    country = country or cast.fr
    assessment = services.assessment_create(country=country, title=title, answers=answers or LOW, **act(user))
    return services.assessment_complete(assessment=assessment, **act(user))


def actions(country) -> list[str]:
    with country_context(country):
        return list(CountryEvent.objects.order_by("sequence").values_list("action", flat=True))
