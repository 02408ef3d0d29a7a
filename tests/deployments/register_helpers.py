"""Builders of the register tests: France with a running deployment (through the services, the
provisioning run in-process), Kenya with one of its own, and entries in every state."""

from __future__ import annotations

from dataclasses import dataclass

from deployments import provisioning, services
from deployments.models import DeploymentRequest, Environment, ProvisioningJob
from deployments.register import services as register
from deployments.register.models import RegisterEntry
from tenants.isolation import country_context
from tests.deployments.conftest import act, draft, make_model

TEXTS = {
    "language": "en",
    "name": "Tax form helper",
    "summary": "A chat assistant explains each box of the tax form. It fills in nothing and decides nothing.",
    "purpose": "Fewer mistakes in tax returns and shorter queues at the help desk.",
    "how_to_ask": "Use the contact form of the tax office, or ask at any tax office desk.",
    "contact_email": "ai-register@finance.example.org",
    "website": "https://finance.example.org/ai",
    "accountable_role": "Head of digital services, Ministry of Finance",
    "team": "Citizen services",
    "human_oversight": "Staff review a sample of answers each week and can switch the assistant off.",
    "data_description": "The questions people type and the public guidance; no tax records.",
    "risks_mitigations": "An answer may be out of date: the guidance is refreshed each tax season.",
    "alternatives": "Before, only the printed guide and the phone line.",
}


def running(cast, ready, *, title: str = "Tax form assistant", **change) -> DeploymentRequest:
    """A French deployment made active through the services and the provisioning job."""
    item = draft(cast, ready, title=title, **change)
    item = services.deployment_request_transition(request=item, action="submit", **act(cast.member))
    item = services.deployment_request_transition(
        request=item, action="approve", human_review_required=True, **act(cast.partner)
    )
    with country_context(cast.fr):
        job = ProvisioningJob.objects.get(request=item, kind="provision")
    provisioning.provisioning_run(country_id=cast.fr.pk, job_id=job.pk)
    with country_context(cast.fr):
        item.refresh_from_db()
    assert item.state == "active"
    return item


def kenyan_deployment(cast, model) -> DeploymentRequest:
    """Kenya's own running deployment, written as data (Kenya is not made ready to deploy here)."""
    with country_context(cast.ke):
        item = DeploymentRequest.objects.create(
            country=cast.ke,
            organisation=cast.ke_ministry,
            title="Kenyan helpline",
            purpose="Answers on the phone.",
            sector="public_services",
            model=model,
            capabilities=["text"],
            region="af-east",
            data_classification="internal",
            expected_monthly_tokens=1000,
            owner=cast.outsider,
            requested_by=cast.outsider,
            state="active",
        )
        Environment.objects.create(
            country=cast.ke,
            request=item,
            name=item.title,
            backend="local",
            endpoint="http://local",
            model=model,
            region="af-east",
            monthly_token_quota=1000,
        )
    return item


def published(request, cast, texts=None, *, admin=None, officer=None) -> RegisterEntry:
    texts = {**TEXTS, **(texts or {})}
    entry = register.register_entry_create(request=request, **act(officer or cast.member), **texts)
    country = cast.ke if request.country_id == cast.ke.pk else cast.fr
    with country_context(country):
        version = entry.versions.get()
    register.register_version_publish(version=version, reason="The service is in use.", **act(admin or cast.owner))
    with country_context(country):
        entry.refresh_from_db()
    return entry


@dataclass
class World:
    published: RegisterEntry  # FR, versions 1 (superseded) and 2 (published)
    draft: RegisterEntry  # FR, never published
    withdrawn: RegisterEntry  # FR, published then withdrawn
    kenyan: RegisterEntry  # KE, published


def world(cast, ready) -> World:
    first = published(running(cast, ready), cast)
    second = register.register_version_create(entry=first, **act(cast.member))
    register.register_draft_save(
        version=second,
        change_note="Added the human review route.",
        **act(cast.member),
        **{**TEXTS, "how_to_ask": TEXTS["how_to_ask"] + " You may ask for a person to review any answer."},
    )
    register.register_version_publish(version=second, reason="The service is in use.", **act(cast.owner))
    drafted = register.register_entry_create(
        request=running(cast, ready, title="Benefits pre-screening"),
        **act(cast.member),
        **{**TEXTS, "name": "Secret draft system", "summary": "Draft text never to be seen."},
    )
    gone = published(
        running(cast, ready, title="Old chatbot"),
        cast,
        {"name": "Retired chatbot", "summary": "Withdrawn summary never to be seen."},
    )
    register.register_entry_withdraw(entry=gone, reason="Replaced by the tax form helper.", **act(cast.owner))
    kenyan = kenyan_deployment(cast, make_model("ke-model", regions=["af-east"]))
    kenyan_entry = published(
        kenyan,
        cast,
        {"name": "Kenyan helpline entry", "summary": "Kenyan text."},
        admin=cast.outsider,
        officer=cast.outsider,
    )
    with country_context(cast.fr):
        for entry in (first, drafted, gone):
            entry.refresh_from_db()
    return World(first, drafted, gone, kenyan_entry)
