"""Demo data of deployments for seed_demo: the model catalogue, and for FR and KE deployment
requests in several states (draft, submitted, approved, active with its environment).

Each request goes through the services when its country passes the gates. Where the demo country
does not (KE's engagement is still in review), the request is written in its state directly, as
history, and that is put on the ledger as a seeded record: the demo shows every state either way."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib.auth import get_user_model
from django.db import transaction

from governance.models import ImpactAssessment
from tenants.access import access_for
from tenants.isolation import country_context
from tenants.models import Country, Organisation
from tenants.record.ledger import event_record

from . import provisioning, services
from .models import AIModel, DeploymentRequest, ProvisioningJob

CATALOGUE = [
    (
        "aurora-large",
        "Aurora Large",
        "Aurora Labs",
        ["text", "embeddings", "vision"],
        ["eu-west", "eu-north", "af-east", "sa-east"],
        "available",
    ),
    ("aurora-voice", "Aurora Voice", "Aurora Labs", ["speech", "text"], ["eu-west", "af-east"], "available"),
    ("meridian-embed", "Meridian Embed", "Meridian", ["embeddings"], ["eu-west", "sa-east", "na-east"], "available"),
    ("sentinel-tune", "Sentinel Tune", "Sentinel AI", ["text", "fine_tuning"], ["eu-north"], "restricted"),
    ("atlas-1", "Atlas 1", "Atlas", ["text"], ["eu-west"], "retired"),
]

PLANS = {
    # code: (officer, organisation acronym, partner, [(title, sector, model, capabilities, target state)])
    "FR": (
        "olivier",
        "DINUM",
        "priya",
        "eu-west",
        [
            ("Assistant for tax forms", "public_services", "aurora-large", ["text"], "active"),
            ("Search across circulars", "public_services", "meridian-embed", ["embeddings"], "approved"),
            ("Course summaries for teachers", "education", "aurora-large", ["text"], "submitted"),
            ("Voice line for benefits", "public_services", "aurora-voice", ["speech"], "draft"),
        ],
    ),
    "KE": (
        "wanjiku",
        "MICDE",
        "priya",
        "af-east",
        [
            ("Swahili health hotline", "health", "aurora-voice", ["speech", "text"], "active"),
            ("Crop advice by SMS", "agriculture", "aurora-large", ["text"], "submitted"),
            ("Clinic records search", "health", "aurora-large", ["text"], "draft"),
        ],
    ),
}


def seed_catalogue() -> None:
    for slug, name, provider, capabilities, regions, status in CATALOGUE:
        AIModel.objects.get_or_create(
            slug=slug,
            defaults={
                "name": name,
                "provider": provider,
                "capabilities": capabilities,
                "regions": regions,
                "status": status,
            },
        )


def seed(*, countries: dict[str, Country], say: Callable[[str], None] = print) -> None:
    seed_catalogue()
    User = get_user_model()
    for code, (officer_name, acronym, partner_name, region, requests) in PLANS.items():
        country = countries.get(code)
        if country is None:
            continue
        with country_context(country):
            if DeploymentRequest.objects.exists():
                continue
            organisation = Organisation.objects.filter(acronym=acronym).first()
            assessment = (
                ImpactAssessment.objects.filter(status="completed")
                .exclude(category="prohibited")
                .order_by("id")
                .first()
            )
        officer, partner = User.objects.get(username=officer_name), User.objects.get(username=partner_name)
        for title, sector, slug, capabilities, target in requests:
            _one(country, organisation, officer, partner, region, assessment, title, sector, slug, capabilities, target)
        say(f"Deployment requests for {country.name}: {len(requests)}")


def _one(country, organisation, officer, partner, region, assessment, title, sector, slug, capabilities, target):
    fields = {
        "organisation": organisation,
        "title": title,
        "sector": sector,
        "model": AIModel.objects.get(slug=slug),
        "capabilities": capabilities,
        "region": region,
        "data_classification": "internal",
        "expected_monthly_tokens": 2_000_000,
        "owner": officer,
        "purpose": f"{title}: a pilot for the ministry's public services, with staff review of outputs.",
    }
    item = services.deployment_request_create(
        country=country,
        by=officer,
        access=access_for(officer),
        assessment_id=assessment.pk if assessment else None,
        **fields,
    )
    if target == "draft":
        return
    try:
        with transaction.atomic():
            item = services.deployment_request_transition(
                request=item, action="submit", by=officer, access=access_for(officer)
            )
            if target in ("approved", "active"):
                item = services.deployment_request_transition(
                    request=item, action="approve", by=partner, access=access_for(partner), quota_tokens=2_500_000
                )
    except services.ServiceError:
        _as_history(country, item, target)
        return
    if target == "active":
        with country_context(country):
            job = ProvisioningJob.objects.get(request=item)
        provisioning.provisioning_run(country_id=country.pk, job_id=job.pk)


def _as_history(country, item, target):
    """The demo country does not pass the gates (yet): write the state as history."""
    from .models import Environment

    with country_context(country):
        DeploymentRequest.objects.filter(pk=item.pk).update(
            state=target if target != "active" else "active",
            review_round=1,
            risk_category="minimal",
            quota_tokens=2_500_000 if target in ("approved", "active") else None,
        )
        if target == "active":
            item.refresh_from_db()
            environment = Environment.objects.create(
                country=country,
                request=item,
                name=item.title,
                backend="local",
                endpoint=provisioning.provisioner().ensure_environment(item)[0],
                model=item.model,
                region=item.region,
                monthly_token_quota=2_500_000,
                tokens_used=1_200_000,
            )
            provisioning.credential_issue(environment=environment, for_user_id=item.requested_by_id)
        event_record(
            country=country,
            action="deployment.seeded",
            actor_role="system",
            target=item,
            payload={"request": item.pk, "state": target},
        )
