"""The register's demo (called by seed_demo after the deployments' demo), through the services:
France runs a high-risk deployment (pre-screening of social aid applications, approved under a
human review condition), publishes the entry of its tax forms assistant in two versions, and has
the entry of the high-risk deployment still in draft. Idempotent: a France that already has a
register entry is left as it is."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from governance.models import ImpactAssessment
from tenants.access import access_for
from tenants.errors import ServiceError
from tenants.isolation import country_context
from tenants.models import Country, Organisation
from tenants.record.ledger import event_record

from .. import provisioning
from .. import services as deployment_services
from ..models import AIModel, DeploymentRequest, Environment, ProvisioningJob
from . import services
from .models import RegisterEntry

HIGH_RISK_TITLE = "Pré-instruction des demandes d'aide sociale"
TAX = {
    "language": "fr",
    "name": "Assistant de remplissage des formulaires fiscaux",
    "summary": "Un assistant conversationnel aide les usagers à remplir leur déclaration de revenus : il explique "
    "les rubriques et indique les pièces à fournir. Il ne remplit rien à la place de l'usager et ne prend aucune décision.",
    "purpose": "Réduire les erreurs de déclaration et l'attente au centre de contact, en répondant à toute heure.",
    "how_to_ask": "Posez vos questions ou faites une réclamation avec le formulaire de contact du site des impôts, "
    "ou au guichet de votre centre des finances publiques.",
    "contact_email": "registre-ia@numerique.gouv.fr",
    "website": "https://www.numerique.gouv.fr/",
    "accountable_role": "Direction du programme IA, DINUM",
    "team": "Pôle services numériques aux usagers",
    "human_oversight": "Des agents relisent chaque semaine un échantillon de réponses ; toute réponse signalée par un "
    "usager est examinée sous 48 heures. Les agents peuvent suspendre l'assistant à tout moment.",
    "data_description": "Les questions des usagers et la documentation publique des formulaires. Aucune donnée fiscale "
    "personnelle n'est transmise au modèle ; les conversations sont conservées 30 jours.",
    "risks_mitigations": "Une réponse peut être inexacte ou périmée : la documentation est mise à jour à chaque "
    "campagne et chaque réponse renvoie à la notice officielle.",
    "alternatives": "Auparavant, seules la notice écrite et la ligne téléphonique étaient proposées.",
}
TAX_V2 = {
    **TAX,
    "how_to_ask": TAX["how_to_ask"] + " Vous pouvez aussi demander qu'un agent reprenne toute réponse de l'assistant.",
}
HIGH_RISK = {
    "language": "fr",
    "name": "Pré-instruction des demandes d'aide sociale",
    "summary": "Un outil classe les demandes d'aide sociale reçues et signale les pièces manquantes, pour que les "
    "agents instruisent plus vite. Chaque décision est prise par un agent.",
    "purpose": "Réduire le délai de traitement des demandes d'aide des familles.",
    "how_to_ask": "Écrivez au service d'aide sociale de votre académie ; vous pouvez demander le réexamen de votre "
    "dossier par un agent.",
    "contact_email": "aides-sociales@education.gouv.fr",
    "website": "",
    "accountable_role": "Direction des aides sociales, ministère de l'Éducation nationale",
    "team": "",
    "human_oversight": "Un agent examine chaque dossier et chaque proposition de l'outil avant toute décision.",
    "data_description": "Les formulaires de demande et les pièces justificatives, qui contiennent des données personnelles.",
    "risks_mitigations": "",
    "alternatives": "",
}


def _act(username: str) -> dict:
    user = get_user_model().objects.get(username=username)
    return {"by": user, "access": access_for(user)}


def seed(*, countries: dict[str, Country], say: Callable[[str], None] = print) -> None:
    country = countries.get("FR")
    if country is None:
        return
    with country_context(country):
        if RegisterEntry.objects.exists():
            return
        tax = DeploymentRequest.objects.filter(
            title="Assistant for tax forms", state=DeploymentRequest.State.ACTIVE
        ).first()
    high = _high_risk_deployment(country, say)
    if tax is not None:
        entry = services.register_entry_create(request=tax, **_act("olivier"), **TAX)
        with country_context(country):
            first = entry.versions.get(number=1)
        services.register_version_publish(version=first, reason="Le service est en production.", **_act("amelie"))
        second = services.register_version_create(entry=entry, **_act("olivier"))
        services.register_draft_save(
            version=second, change_note="Ajout du réexamen d'une réponse par un agent.", **_act("olivier"), **TAX_V2
        )
        services.register_version_publish(
            version=second, reason="Le réexamen par un agent est en place.", **_act("amelie")
        )
    if high is not None:
        services.register_entry_create(request=high, **_act("olivier"), **HIGH_RISK)
    say(f"  register for FR: {1 if tax else 0} published entry, {1 if high else 0} draft")


def _high_risk_deployment(country: Country, say) -> DeploymentRequest | None:
    """France's pre-screening of social aid applications, high-risk: drafted through the services,
    then submitted and approved by two distinct partner managers when the demo country passes the
    gates; when it does not (yet), its approval and environment are written as history and put on
    the ledger as a seeded record, as the deployments' demo does."""
    with country_context(country):
        existing = DeploymentRequest.objects.filter(title=HIGH_RISK_TITLE).first()
        if existing is not None:
            return existing
        assessment = ImpactAssessment.objects.filter(status="completed", category="high_risk").order_by("id").first()
        organisation = Organisation.objects.filter(acronym="MEN").first()
    model = AIModel.objects.filter(slug="aurora-large").first()
    if assessment is None or organisation is None or model is None:
        return None
    officer = _act("olivier")
    item = deployment_services.deployment_request_create(
        country=country,
        organisation=organisation,
        title=HIGH_RISK_TITLE,
        purpose="Classer les demandes d'aide sociale reçues et signaler les pièces manquantes aux agents.",
        sector="public_services",
        model=model,
        capabilities=["text"],
        region="eu-west",
        data_classification="personal",
        expected_monthly_tokens=1_500_000,
        owner=officer["by"],
        assessment_id=assessment.pk,
        **officer,
    )
    until = timezone.now().date() + timedelta(days=365)
    try:
        with transaction.atomic():
            item = deployment_services.deployment_request_transition(request=item, action="submit", **officer)
            for partner in ("priya", "marcus"):
                item = deployment_services.deployment_request_transition(
                    request=item,
                    action="approve",
                    quota_tokens=2_000_000,
                    expires_on=until,
                    human_review_required=True,
                    **_act(partner),
                )
    except ServiceError:
        return _as_history(country, item, until)
    with country_context(country):
        job = ProvisioningJob.objects.get(request=item)
    provisioning.provisioning_run(country_id=country.pk, job_id=job.pk)
    with country_context(country):
        return DeploymentRequest.objects.get(pk=item.pk)


def _as_history(country: Country, item: DeploymentRequest, until) -> DeploymentRequest:
    with country_context(country):
        DeploymentRequest.objects.filter(pk=item.pk).update(
            state=DeploymentRequest.State.ACTIVE,
            review_round=1,
            risk_category="high_risk",
            quota_tokens=2_000_000,
            expires_on=until,
            human_review_required=True,
        )
        item.refresh_from_db()
        environment = Environment.objects.create(
            country=country,
            request=item,
            name=item.title,
            backend="local",
            endpoint=provisioning.provisioner().ensure_environment(item)[0],
            model=item.model,
            region=item.region,
            monthly_token_quota=2_000_000,
            expires_on=until,
            human_review_required=True,
        )
        provisioning.credential_issue(environment=environment, for_user_id=item.requested_by_id)
        event_record(
            country=country,
            action="deployment.seeded",
            actor_role="system",
            target=item,
            payload={"request": item.pk, "state": "active"},
        )
    return item
