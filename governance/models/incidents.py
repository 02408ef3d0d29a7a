"""AI incidents, reported against a deployment or an assessed use, with a reporting deadline set
by severity. Description and steps taken may name people: sealed under the country's key."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy

from tenants.keys.fields import EncryptedTextField
from tenants.models import SealedTenantModel, TenantModel

from .assessments import ImpactAssessment


class Incident(SealedTenantModel):
    class Severity(models.TextChoices):
        SERIOUS = "serious", gettext_lazy("Serious")
        MAJOR = "major", gettext_lazy("Major")
        MINOR = "minor", gettext_lazy("Minor")

    class Status(models.TextChoices):
        OPEN = "open", gettext_lazy("Open")
        INVESTIGATING = "investigating", gettext_lazy("Investigating")
        RESOLVED = "resolved", gettext_lazy("Resolved")
        CLOSED = "closed", gettext_lazy("Closed")

    # Days from detection within which the incident must be reported to the programme. Serious
    # follows the 15 days of EU AI Act Art. 73; the others are the programme's own.
    REPORT_WITHIN_DAYS = {Severity.SERIOUS: 15, Severity.MAJOR: 30, Severity.MINOR: 90}
    NEXT = {Status.OPEN: Status.INVESTIGATING, Status.INVESTIGATING: Status.RESOLVED, Status.RESOLVED: Status.CLOSED}

    title = models.CharField(max_length=200)
    deployment_reference = models.CharField(max_length=100, blank=True)
    assessment = models.ForeignKey(ImpactAssessment, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    severity = models.CharField(max_length=10, choices=Severity.choices)
    description = EncryptedTextField()
    steps_taken = EncryptedTextField(gettext_lazy("steps taken"))
    people_affected = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=14, choices=Status.choices, default=Status.OPEN)
    detected_at = models.DateTimeField(default=timezone.now)
    report_due_at = models.DateTimeField()
    reported_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta(TenantModel.Meta):
        verbose_name = gettext_lazy("incident")
        verbose_name_plural = gettext_lazy("incidents")
        ordering = ["-detected_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["country", "id"], name="gov_incident_country_id_uniq")]
        indexes = [models.Index(fields=["country", "status"], name="gov_incident_country_idx")]

    def __str__(self) -> str:
        return self.title

    @classmethod
    def due_for(cls, severity: str, detected_at) -> object:
        return detected_at + timedelta(days=cls.REPORT_WITHIN_DAYS[severity])

    @property
    def overdue(self) -> bool:
        return self.reported_at is None and timezone.now() > self.report_due_at
