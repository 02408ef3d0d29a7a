"""Every text a person writes in a country's tables is sealed under the country's key (an
EncryptedTextField), so that it becomes unreadable when the country leaves and its keys are
destroyed; or it is named, with why it stays readable, by `tenants.keys.holdings.plain_text_register`,
which the "Data and keys" page lists. Columns of text no person writes (codes, hashes, paths, the
portal's own messages) are named below. A new text column that is none of these fails here: seal it
(tests/tenants/test_sealed_every_field.py then rotates and shreds it), or register it with its reason."""

from __future__ import annotations

from django.apps import apps
from django.db import models

from tenants.keys import holdings
from tenants.keys.fields import EncryptedTextField
from tenants.models import TenantModel

# Text columns no person writes as prose: codes and states without a choice list, hashes, key ids,
# signatures, paths and addresses, the portal's own words and its errors (codes or technical).
NOT_WRITTEN_BY_PEOPLE = {
    # codes, states and roles
    "deployments.DeploymentMove.action",
    "deployments.DeploymentMove.from_state",
    "deployments.DeploymentMove.to_state",
    "deployments.DeploymentRequest.risk_category",
    "deployments.Environment.backend",
    "deployments.Environment.usage_month",
    "deployments.ProvisioningJob.key",
    "deployments.RegisterEntry.public_language",
    "deployments.RegisterVersion.language",
    "engagements.EngagementTransition.action",
    "engagements.EngagementTransition.from_state",
    "engagements.EngagementTransition.to_state",
    "engagements.EngagementTransition.by_role",
    "gateway.CapturedCall.endpoint",
    "gateway.CapturedCall.model",
    "gateway.CapturedCall.outcome",
    "governance.EvidenceFile.kind",
    "governance.PolicyVersion.language",
    "portal.ComplianceReport.requested_role",
    "portal.ComplianceReport.headings",
    "portal.ComplianceReport.step",
    "tenants.ActionReason.action",
    "tenants.ActionReason.target_type",
    "tenants.ActionReason.target_id",
    "tenants.CountryEvent.actor_role",
    "tenants.CountryEvent.action",
    "tenants.CountryEvent.target_type",
    "tenants.CountryEvent.target_id",
    "tenants.CountryExit.previous_status",
    "tenants.CountryExit.step",
    "tenants.CountryExit.error",
    "tenants.CountryExport.step",
    "tenants.IdentityProvider.organisation_claim",
    "tenants.IdentityProvider.role_claim",
    "tenants.KeyRotation.position_model",
    "tenants.Message.author_role",
    "tenants.MessageAttachment.kind",
    "tenants.OutboxMessage.task",
    "training.CountryProgramme.adopted_from_country",
    # hashes, key ids, signatures, nonces, prefixes and pseudonyms
    "deployments.Credential.prefix",
    "deployments.Credential.key_hash",
    "gateway.CapturedCall.call_id",
    "governance.EvidenceFile.sha256",
    "portal.ComplianceReport.sha256",
    "tenants.CountryCheckpoint.head_hash",
    "tenants.CountryCheckpoint.key_id",
    "tenants.CountryCheckpoint.signature",
    "tenants.CountryEvent.prev_hash",
    "tenants.CountryEvent.hash",
    "tenants.CountryExport.sha256",
    "tenants.CountryKey.key_id",
    "tenants.CountryKey.master_key_id",
    "tenants.IdentityProvider.client_id",
    "tenants.Invitation.nonce",
    "tenants.KeyRotation.to_key_id",
    "tenants.MemberErasure.pseudonym",
    "tenants.MemberErasure.certificate_signature",
    "tenants.Message.sha256",
    "tenants.Message.digest",
    "tenants.MessageAttachment.sha256",
    "tenants.OutboxMessage.request_id",
    "tenants.SubjectAccessExport.sha256",
    # paths, file names the portal gives, addresses
    "deployments.CountryUpstream.base_url",
    "deployments.Environment.external_id",
    "deployments.Environment.endpoint",
    "governance.EvidenceFile.path",
    "portal.ComplianceReport.file_name",
    "tenants.CountryExport.file_name",
    "tenants.IdentityProvider.issuer",
    "tenants.MessageAttachment.path",
    "tenants.Notification.url",
    "tenants.SubjectAccessExport.file_name",
    # the portal's own words: its notices (built from its sentences and the names registered plain),
    # the erasure certificate it signs (counts and a pseudonym), and technical errors
    "tenants.Notification.subject",
    "tenants.Notification.body",
    "tenants.MemberErasure.certificate",
    "deployments.ProvisioningJob.error",
    "portal.ComplianceReport.error",
    "tenants.CountryExport.error",
    "tenants.KeyRotation.error",
    "tenants.OutboxMessage.last_error",
    "tenants.SubjectAccessExport.error",
}


def _label(model, field) -> str:
    return f"{model._meta.label}.{field.name}"


def _text_columns() -> dict[str, models.Field]:
    """Every text column of a country-owned table that could hold what someone typed: text and
    character columns (e-mail and URL ones included), except those restricted to a list of choices."""
    found = {}
    for model in apps.get_models():
        if not issubclass(model, TenantModel):
            continue
        for field in model._meta.concrete_fields:
            if isinstance(field, (models.TextField, models.CharField)) and not field.choices:
                found[_label(model, field)] = field
    return found


def _plain() -> set[str]:
    return {f"{label}.{name}" for entry in holdings.plain_texts() for label, names in entry.columns for name in names}


def test_every_text_a_person_writes_is_sealed_or_named_with_its_reason():
    columns = _text_columns()
    plain = _plain()
    unnamed = sorted(
        label
        for label, field in columns.items()
        if not isinstance(field, EncryptedTextField) and label not in plain and label not in NOT_WRITTEN_BY_PEOPLE
    )
    assert unnamed == [], (
        "text columns of a country's tables neither sealed (EncryptedTextField) nor named: seal them, or "
        "register them with tenants.keys.holdings.plain_text_register (with why they stay readable), or, "
        f"if no person writes them, list them in NOT_WRITTEN_BY_PEOPLE: {unnamed}"
    )


def test_what_is_named_is_there_and_plain():
    columns = _text_columns()
    plain = _plain()
    for label in sorted(plain | NOT_WRITTEN_BY_PEOPLE):
        assert label in columns, f"{label} is named but is no text column of a country's table any more"
        assert not isinstance(columns[label], EncryptedTextField), f"{label} is sealed: take it off the list"
    assert not plain & NOT_WRITTEN_BY_PEOPLE


def test_a_persons_own_words_are_sealed():
    """What erasure empties as a person's own words or contact details is sealed, every column of it."""
    for text in holdings.personal_texts():
        for name in text.fields:
            field = text.model._meta.get_field(name)
            assert isinstance(field, EncryptedTextField), f"{text.label}.{name} is a person's own words, not sealed"


def test_every_plain_text_says_what_and_why():
    for entry in holdings.plain_texts():
        assert str(entry.what) and str(entry.why) and entry.columns
