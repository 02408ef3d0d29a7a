"""Builders of the deployments tests: a catalogue model, and FR made ready to deploy (an active
engagement whose terms cover public services, text and embeddings in eu-west; a published policy
acknowledged by the ministry; a completed impact assessment)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest

from deployments import services
from deployments.models import AIModel
from engagements.models import Engagement, EngagementTerms
from governance import services as governance_services
from tenants.access import access_for
from tenants.isolation import country_context
from tests.governance.helpers import HIGH, LOW, completed_assessment, published_policy


def act(user):
    return {"by": user, "access": access_for(user)}


def make_model(slug="aurora-large", **extra) -> AIModel:
    defaults = {
        "name": slug.replace("-", " ").title(),
        "provider": "Aurora Labs",
        "capabilities": ["text", "embeddings", "vision"],
        "regions": ["eu-west", "af-east"],
    }
    return AIModel.objects.create(slug=slug, **{**defaults, **extra})


def active_engagement(
    country, organisation, *, sectors=("public_services",), capabilities=("text", "embeddings"), region="eu-west"
):
    with country_context(country):
        engagement = Engagement.objects.create(country=country, organisation=organisation, state="active")
        terms = EngagementTerms.objects.create(
            country=country,
            engagement=engagement,
            version=1,
            sectors=list(sectors),
            capabilities=list(capabilities),
            residency_region=region,
            monthly_token_quota=10_000_000,
            start_date=date(2026, 1, 1),
            economic_model="grant",
            conditions="",
        )
        engagement.approved_terms = terms
        engagement.save()
    return engagement


def acknowledge_all(cast, version, people):
    for person in people:
        governance_services.acknowledgement_create(version=version, **act(person))


@dataclass
class Ready:
    model: AIModel
    assessment: object
    high_assessment: object


@pytest.fixture
def ready(cast) -> Ready:
    model = make_model()
    active_engagement(cast.fr, cast.fr_ministry)
    _, version = published_policy(cast)
    acknowledge_all(cast, version, [cast.owner, cast.member])
    assessment = completed_assessment(cast)
    high = completed_assessment(cast, answers=HIGH, title="Benefits triage")
    return Ready(model, assessment, high)


def fields(cast, ready, **change) -> dict:
    return {
        "organisation": cast.fr_ministry,
        "title": "Tax form assistant",
        "purpose": "Help people fill in tax forms.",
        "sector": "public_services",
        "model": ready.model,
        "capabilities": ["text"],
        "region": "eu-west",
        "data_classification": "internal",
        "expected_monthly_tokens": 200_000,
        "owner": cast.owner,
        "assessment_id": ready.assessment.pk,
        **change,
    }


def draft(cast, ready, by=None, **change):
    return services.deployment_request_create(
        country=cast.fr, **act(by or cast.member), **fields(cast, ready, **change)
    )


__all__ = ["LOW", "act", "active_engagement", "draft", "fields", "make_model"]
