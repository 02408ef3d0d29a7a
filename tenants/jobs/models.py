"""The outbox (DESIGN §7): every background job is a row written in the same transaction as the
change that causes it, then relayed to the broker by tenants.jobs.outbox. A broker outage delays a
job; it never loses it, and never fails the person's request."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy

from tenants.models import TenantModel


class OutboxFields(models.Model):
    task = models.CharField(max_length=100, help_text=gettext_lazy("The registered name of the Celery task to run."))
    kwargs = models.JSONField(
        default=dict, help_text=gettext_lazy("Ids and small values only: never a secret or personal data.")
    )
    created_at = models.DateTimeField(default=timezone.now)
    published_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=300, blank=True)
    request_id = models.CharField(
        max_length=64,
        blank=True,
        db_default="",
        help_text=gettext_lazy("The request that caused the job, carried into the task's logs."),
    )

    class Meta:
        abstract = True
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.task} ({'published' if self.published_at else 'pending'})"


class OutboxMessage(OutboxFields, TenantModel):
    """A job about one country: row-level secured like the rest of its data."""

    writable_after_exit = True  # jobs of a country that left still run (its exit, expiries) and are marked

    class Meta(TenantModel.Meta):
        verbose_name = gettext_lazy("outbox message")
        verbose_name_plural = gettext_lazy("outbox messages")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["country", "published_at"], name="tenants_outbox_pending_idx")]


class PlatformOutboxMessage(OutboxFields):
    """A job that belongs to no country (mail to a person about their account, platform work)."""

    class Meta(OutboxFields.Meta):
        verbose_name = gettext_lazy("platform outbox message")
        verbose_name_plural = gettext_lazy("platform outbox messages")
        indexes = [models.Index(fields=["published_at"], name="tenants_poutbox_pending_idx")]
