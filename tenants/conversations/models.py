"""Conversations: the running dialogue between a country's people and its partner managers on one
engagement or one deployment request. The subject is named by its kind and id (the apps that own
engagements and deployment requests sit above the foundation, so no foreign key can point at
them); the pages of those apps find the subject for the person first, then its conversation."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy

from tenants.keys.fields import EncryptedTextField
from tenants.models import SealedTenantModel, TenantModel

MESSAGE_MAX_LENGTH = 4000


class Conversation(SealedTenantModel):
    """One subject's dialogue. Its digest key (32 random bytes, hex, sealed under the country's key)
    keys the HMAC-SHA256 of each message's text that the record holds: the record then says which
    text was written without letting anyone guess a short one ("yes", a name) from it, and once the
    country's keys are destroyed nobody can."""

    class Subject(models.TextChoices):
        ENGAGEMENT = "engagement", gettext_lazy("Engagement")
        DEPLOYMENT_REQUEST = "deployment_request", gettext_lazy("Deployment request")

    subject = models.CharField(max_length=30, choices=Subject.choices)
    subject_id = models.PositiveBigIntegerField()
    digest_key = EncryptedTextField(
        gettext_lazy("key of its messages' digests"),
        db_default="",
        help_text=gettext_lazy("Hex of 32 random bytes: the key of the HMAC-SHA256 of each message's text."),
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta(TenantModel.Meta):
        verbose_name = gettext_lazy("conversation")
        verbose_name_plural = gettext_lazy("conversations")
        ordering = ["country", "subject", "subject_id"]
        constraints = [
            models.UniqueConstraint(fields=["country", "id"], name="tenants_conv_country_id_uniq"),
            models.UniqueConstraint(fields=["country", "subject", "subject_id"], name="tenants_conv_subject_uniq"),
        ]

    def __str__(self) -> str:
        return f"Conversation on {self.subject} {self.subject_id}"


class Message(SealedTenantModel):
    """One message. Its text is sealed under the country's key (it may be commercially confidential,
    like the terms' conditions); the ledger holds only its digest: the HMAC-SHA256 under its
    conversation's key (`digest`), or for a message written before there was one, its plain SHA-256
    (`sha256`, empty since)."""

    conversation = models.ForeignKey(Conversation, on_delete=models.PROTECT, related_name="messages")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    author_role = models.CharField(max_length=20, help_text=gettext_lazy("The author's role when they wrote it."))
    body = EncryptedTextField(gettext_lazy("message"))
    sha256 = models.CharField(
        max_length=64, blank=True, db_default="", help_text=gettext_lazy("SHA-256 of the text (older messages only).")
    )
    digest = models.CharField(
        max_length=64,
        blank=True,
        db_default="",
        help_text=gettext_lazy("HMAC-SHA256 of the text under its conversation's key, as on the record."),
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta(TenantModel.Meta):
        verbose_name = gettext_lazy("message")
        verbose_name_plural = gettext_lazy("messages")
        ordering = ["created_at", "id"]
        constraints = [models.UniqueConstraint(fields=["country", "id"], name="tenants_message_country_id_uniq")]
        indexes = [models.Index(fields=["country", "conversation", "id"], name="tenants_message_conv_idx")]

    def __str__(self) -> str:
        return f"Message {self.pk}"


class MessageAttachment(TenantModel):
    """A file attached to a message, stored and sealed through the file room (tenants.files) after
    the upload rules (tenants.uploads), and sent only after the same access check as the message."""

    message = models.ForeignKey(Message, on_delete=models.PROTECT, related_name="attachments")
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=10)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    path = models.CharField(max_length=300)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta(TenantModel.Meta):
        verbose_name = gettext_lazy("message attachment")
        verbose_name_plural = gettext_lazy("message attachments")
        ordering = ["message", "id"]
        constraints = [models.UniqueConstraint(fields=["country", "id"], name="tenants_msgatt_country_id_uniq")]

    def __str__(self) -> str:
        return self.name


class ConversationRead(TenantModel):
    """How far one person has read one conversation: the last message they saw."""

    writable_after_exit = True  # people may still read, and so mark read, a leaving country's dialogue

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="reads")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    last_read_id = models.PositiveBigIntegerField(default=0)
    read_at = models.DateTimeField(default=timezone.now)

    class Meta(TenantModel.Meta):
        verbose_name = gettext_lazy("read mark")
        verbose_name_plural = gettext_lazy("read marks")
        constraints = [
            models.UniqueConstraint(fields=["country", "id"], name="tenants_convread_country_id_uniq"),
            models.UniqueConstraint(fields=["conversation", "user"], name="tenants_convread_person_uniq"),
        ]

    def __str__(self) -> str:
        return f"Read up to {self.last_read_id}"
