"""The record: one hash chain per country (row-level secured) and one for platform events, with
signed checkpoints. UPDATE and DELETE on these tables are refused by the database."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy

from tenants.keys.fields import EncryptedTextField
from tenants.models import SealedTenantModel, TenantModel

PLATFORM_CHAIN = "platform"


class ChainEvent(models.Model):
    """Fields every chained event has; `hash` is SHA-256 over the canonical encoding of the others
    (tenants.record.ledger.event_fields) including `prev_hash`, the hash of the event before it."""

    # Empty (with empty hashes) from the insert until the chaining that follows the commit of the
    # transaction that recorded the event (or the sweep, after a crash): readers of the chain leave
    # such an event out (tenants.record.ledger, "Chained after commit" in docs/architecture.md).
    sequence = models.BigIntegerField(null=True)
    at = models.DateTimeField()
    # No database constraint: an event outlives the account that caused it, and the chain is
    # never rewritten.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.DO_NOTHING, db_constraint=False, null=True, related_name="+"
    )
    actor_label = models.CharField(max_length=150, blank=True)
    actor_role = models.CharField(max_length=30, blank=True)
    action = models.CharField(max_length=80)
    target_type = models.CharField(max_length=80, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    payload = models.JSONField(default=dict, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        abstract = True
        ordering = ["-sequence"]

    def __str__(self) -> str:
        return f"{self.action} #{self.sequence}"


class CountryEvent(ChainEvent, TenantModel):
    """One recorded change in a country. Appended only through tenants.record.ledger.event_record."""

    writable_after_exit = True  # the record goes on after a country left (exports, downloads, its exit)

    class Meta(TenantModel.Meta):
        verbose_name = gettext_lazy("country event")
        verbose_name_plural = gettext_lazy("country events")
        ordering = ["-sequence"]
        constraints = [models.UniqueConstraint(fields=["country", "sequence"], name="tenants_event_country_seq_uniq")]
        indexes = [
            models.Index(fields=["country", "action", "sequence"], name="tenants_event_action_idx"),
            models.Index(
                fields=["country", "id"], condition=models.Q(sequence__isnull=True), name="tenants_event_unchained_idx"
            ),
        ]


class PlatformEvent(ChainEvent):
    """Programme-wide events: sign-ins, assignments, verification runs. Not country data."""

    class Meta:
        verbose_name = gettext_lazy("platform event")
        verbose_name_plural = gettext_lazy("platform events")
        ordering = ["-sequence"]
        constraints = [models.UniqueConstraint(fields=["sequence"], name="tenants_platformevent_seq_uniq")]
        indexes = [
            models.Index(fields=["id"], condition=models.Q(sequence__isnull=True), name="tenants_pevent_unchained_idx")
        ]


class Checkpoint(models.Model):
    """A signed statement that a chain had `head_hash` at `sequence` at time `at`, by the portal's
    Ed25519 key (`key_id`), whose private half is never in the database."""

    sequence = models.BigIntegerField()
    head_hash = models.CharField(max_length=64)
    at = models.DateTimeField()
    key_id = models.CharField(max_length=32)
    signature = models.CharField(max_length=128)

    class Meta:
        abstract = True
        ordering = ["-sequence"]

    def __str__(self) -> str:
        return f"Checkpoint at {self.sequence}"


class CountryCheckpoint(Checkpoint, TenantModel):
    writable_after_exit = True

    class Meta(TenantModel.Meta):
        verbose_name = gettext_lazy("country checkpoint")
        verbose_name_plural = gettext_lazy("country checkpoints")
        ordering = ["-sequence"]
        indexes = [models.Index(fields=["country", "sequence"], name="tenants_ckpt_country_seq_idx")]


class PlatformCheckpoint(Checkpoint):
    class Meta:
        verbose_name = gettext_lazy("platform checkpoint")
        verbose_name_plural = gettext_lazy("platform checkpoints")
        ordering = ["-sequence"]


class LedgerAlert(models.Model):
    """A break found by verification, shown as a banner to admins and to the chain's auditors
    until a platform admin resolves it. Names the chain, never the data."""

    chain = models.CharField(max_length=10, help_text=gettext_lazy("Country code, or 'platform'."))
    problem = models.CharField(max_length=300)
    found_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = gettext_lazy("record alert")
        verbose_name_plural = gettext_lazy("record alerts")
        ordering = ["-found_at"]

    def __str__(self) -> str:
        return f"{self.chain}: {self.problem}"


class ActionReason(SealedTenantModel):
    """Why someone confirmed an action that removes, revokes or stops something: written with the
    action's ledger event, which names this row by id only. The text is sealed under the country's
    key (it may name people), so it is erased with the country's other data on exit."""

    writable_after_exit = True  # an exit run again after a failure gives its reason while the country is read-only

    action = models.CharField(max_length=80)
    target_type = models.CharField(max_length=80, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    reason = EncryptedTextField()
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    class Meta(TenantModel.Meta):
        verbose_name = gettext_lazy("reason given")
        verbose_name_plural = gettext_lazy("reasons given")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["country", "target_type", "target_id"], name="tenants_reason_target_idx")]

    def __str__(self) -> str:
        return f"{self.action} {self.target_type} {self.target_id}"


class ReasonDigestKey(SealedTenantModel):
    """The country's key of the digests its chain holds of the reasons given (ActionReason): each
    event naming a reason carries the HMAC-SHA256 of its text under this key (`reason_hmac`). The
    key is sealed under the country's key like the reasons (destroyed with it, so no text can be
    tried against the record afterwards) and goes in the country's export, which is how its
    offline verifier checks every reason against the chain. One per country, made at its first
    reason."""

    writable_after_exit = True  # as the reasons it keys

    digest_key = EncryptedTextField(
        gettext_lazy("key of its reasons' digests"),
        help_text=gettext_lazy("Hex of 32 random bytes: the key of the HMAC-SHA256 of each reason's text."),
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta(TenantModel.Meta):
        verbose_name = gettext_lazy("key of the reasons' digests")
        verbose_name_plural = gettext_lazy("keys of the reasons' digests")
        constraints = [models.UniqueConstraint(fields=["country"], name="tenants_reasonkey_one_per_country")]

    def __str__(self) -> str:
        return f"Reason digest key of country {self.country_id}"
