"""Models of portal: compliance reports an auditor or partner manager asks for, built by a worker.

A report covers one country and a period, so it is a tenant row (row-level security applies): the
country's chain records who asked for it and who downloaded it."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy

from tenants.jobs.steps import StepText
from tenants.models import TenantModel


class ComplianceReport(StepText, TenantModel):
    """A signed bundle (zip) of a country's compliance pack or ledger segment for a period."""

    writable_after_exit = True  # the record can still be reported on, and files expire, after an exit

    class Kind(models.TextChoices):
        PACK = "pack", gettext_lazy("Country compliance pack")
        LEDGER = "ledger", gettext_lazy("Ledger only")

    class State(models.TextChoices):
        PENDING = "pending", gettext_lazy("Waiting for a worker")
        RUNNING = "running", gettext_lazy("Being built")
        DONE = "done", gettext_lazy("Ready")
        FAILED = "failed", gettext_lazy("Failed")
        EXPIRED = "expired", gettext_lazy("Expired")

    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.PACK)
    period_start = models.DateField()
    period_end = models.DateField()
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    requested_role = models.CharField(max_length=30, blank=True)
    headings = models.CharField(
        max_length=10,
        blank=True,
        db_default="",
        help_text=gettext_lazy(
            "The language of the CSV and spreadsheet column headings: the requester's when they asked, or 'keys'."
        ),
    )
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    step = models.CharField(max_length=200, blank=True, help_text=gettext_lazy("The code of the step under way."))
    step_params = models.JSONField(default=dict, db_default={}, blank=True)
    percent = models.PositiveSmallIntegerField(default=0)
    file_name = models.CharField(max_length=200, blank=True)
    size = models.BigIntegerField(default=0)
    sha256 = models.CharField(max_length=64, blank=True)
    error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta(TenantModel.Meta):
        verbose_name = gettext_lazy("compliance report")
        verbose_name_plural = gettext_lazy("compliance reports")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["country", "-created_at"], name="portal_report_country_recent")]
        constraints = [
            # One report of a kind, period and headings waits or is being built at a time.
            models.UniqueConstraint(
                fields=["country", "kind", "period_start", "period_end", "headings"],
                condition=models.Q(state__in=["pending", "running"]),
                name="portal_report_one_under_way",
            ),
            models.CheckConstraint(
                condition=models.Q(period_end__gte=models.F("period_start")), name="portal_report_period_ordered"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.period_start}–{self.period_end}"

    @property
    def downloadable(self) -> bool:
        return (
            self.state == self.State.DONE
            and bool(self.file_name)
            and (self.expires_at is None or self.expires_at > timezone.now())
        )


class ReportSubscription(TenantModel):
    """An auditor's or partner manager's standing request for a monthly pack of one country: on the
    first of each month a worker requests the previous month's report in their name."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=10, choices=ComplianceReport.Kind.choices, default=ComplianceReport.Kind.PACK)
    created_at = models.DateTimeField(default=timezone.now)
    last_period_start = models.DateField(
        null=True, blank=True, help_text=gettext_lazy("First day of the last month a report was requested for.")
    )

    class Meta(TenantModel.Meta):
        verbose_name = gettext_lazy("report subscription")
        verbose_name_plural = gettext_lazy("report subscriptions")
        ordering = ["created_at", "id"]
        constraints = [models.UniqueConstraint(fields=["country", "user"], name="portal_subscription_one_per_person")]
