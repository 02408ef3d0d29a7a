"""Demo data of deployments for seed_demo: the model catalogue, and deployment requests made as
people would have made them, through the services only. France's officer drafts for his own
ministry, holds the training the gates ask for (completed through the training services, like
anyone would) and submits; a partner manager approves, which writes the decisions and the
provisioning job; the active request's environment is made by the job runner, the same code a
worker runs (under `make run` with PostgreSQL the worker provisions the approved one too). Kenya's
engagement is still in review, so its requests wait as drafts: a request passes its gates for real
or stays where a person would have left it."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib.auth import get_user_model

from governance.models import ImpactAssessment
from tenants.access import access_for
from tenants.conversations import services as conversation_services
from tenants.isolation import country_context
from tenants.models import Country, Organisation
from training import selectors as training_selectors
from training import services as training_services
from training.models import Certificate, Enrolment, Programme

from . import provisioning, selectors, services
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
    # code: (officer, their own organisation's acronym, partner, region, [(title, sector, model, capabilities, target)])
    "FR": (
        "olivier",
        "MEN",
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
        "otieno",
        "MOH",
        "priya",
        "af-east",
        [
            ("Swahili health hotline", "health", "aurora-voice", ["speech", "text"], "draft"),
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
                .exclude(category__in=["prohibited", "high_risk"])
                .order_by("id")
                .first()
            )
        officer, partner = User.objects.get(username=officer_name), User.objects.get(username=partner_name)
        if any(target != "draft" for *_, target in requests):
            _train(country, officer, [(sector, capabilities) for _, sector, _, capabilities, _ in requests])
        for title, sector, slug, capabilities, target in requests:
            _one(country, organisation, officer, partner, region, assessment, title, sector, slug, capabilities, target)
        say(f"Deployment requests for {country.name}: {len(requests)}")


def _train(country: Country, user, uses: list[tuple[str, list[str]]]) -> None:
    """Complete, through the training services, every programme the person's role requires for
    these uses: enrol where not enrolled yet, then pass each module's quiz."""
    role = access_for(user).role_in(country.pk) or ""
    required: dict[int, str] = {}
    for sector, capabilities in uses:
        for capability in capabilities:
            required.update(
                training_selectors.required_programmes(country=country, role=role, sector=sector, capability=capability)
            )
    access = access_for(user)
    for programme in Programme.objects.filter(pk__in=required).order_by("pk"):
        with country_context(country):
            if Certificate.objects.filter(user=user, programme=programme).exists():
                continue
            enrolment = Enrolment.objects.filter(user=user, programme=programme).exclude(status="completed").first()
        if enrolment is None:
            enrolment = training_services.enrolment_create(
                country=country, by=user, access=access, user=user, programme=programme
            )
        for index, module in enumerate(enrolment.pinned.modules):
            training_services.quiz_submit(
                enrolment=enrolment,
                by=user,
                access=access,
                module=index,
                answers=[question["answer"] for question in module["quiz"]],
            )


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
    item = services.deployment_request_transition(request=item, action="submit", by=officer, access=access_for(officer))
    # A question and its answer on every submitted request: the dialogue has something to show.
    subject = selectors.conversation_subject(request=item)
    conversation_services.message_post(
        subject=subject,
        by=partner,
        access=access_for(partner),
        text="Which directorate will review the outputs before they reach the public?",
    )
    conversation_services.message_post(
        subject=subject,
        by=officer,
        access=access_for(officer),
        text="The service's own quality team; its review checklist is attached.",
        attachment_name="review-checklist.txt",
        attachment_data=b"1. Sample ten answers a week.\n2. Log every correction.\n3. Report monthly.\n",
    )
    if target == "submitted":
        return
    item = services.deployment_request_transition(
        request=item,
        action="approve",
        by=partner,
        access=access_for(partner),
        quota_tokens=2_500_000,
        comment="Approved for a six-month pilot with staff review of every answer.",
    )
    if target == "active":
        # What a worker does with the job the approval enqueued: the same runner, here and now.
        with country_context(country):
            job = ProvisioningJob.objects.get(request=item)
        provisioning.provisioning_run(country_id=country.pk, job_id=job.pk)
