"""Frameworks and controls: platform-wide frameworks and their main requirements (fixtures we
write), and per country a status, an owner and evidence files for each requirement."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from tenants.models import Membership, TenantModel


class Framework(models.Model):
    slug = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=120)
    summary = models.CharField(max_length=400, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Requirement(models.Model):
    framework = models.ForeignKey(Framework, on_delete=models.CASCADE, related_name="requirements")
    code = models.SlugField(max_length=40)
    reference = models.CharField(max_length=80, help_text='Where it comes from, e.g. "EU AI Act Art. 9".')
    title = models.CharField(max_length=300)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["framework", "position"]
        constraints = [models.UniqueConstraint(fields=["framework", "code"], name="gov_requirement_code_uniq")]

    def __str__(self) -> str:
        return f"{self.reference} — {self.title}"


class RequirementStatus(TenantModel):
    class Status(models.TextChoices):
        NOT_ASSESSED = "not_assessed", "Not assessed"
        COMPLIANT = "compliant", "Compliant"
        PARTIAL = "partial", "Partially compliant"
        NON_COMPLIANT = "non_compliant", "Non-compliant"
        NOT_APPLICABLE = "not_applicable", "Not applicable"

    requirement = models.ForeignKey(Requirement, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.NOT_ASSESSED)
    owner = models.ForeignKey(Membership, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    note = models.TextField(blank=True)
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")

    class Meta(TenantModel.Meta):
        constraints = [
            models.UniqueConstraint(fields=["country", "id"], name="gov_reqstatus_country_id_uniq"),
            models.UniqueConstraint(fields=["country", "requirement"], name="gov_reqstatus_country_req_uniq"),
        ]


class EvidenceFile(TenantModel):
    """One stored version of a piece of evidence. Files live under MEDIA_ROOT/evidence/<code>/ and
    are served only by a view that checks access; earlier versions are kept."""

    requirement_status = models.ForeignKey(RequirementStatus, on_delete=models.CASCADE, related_name="evidence")
    name = models.CharField(max_length=200, help_text="The file's name as uploaded.")
    version = models.PositiveIntegerField()
    kind = models.CharField(max_length=10, help_text="pdf, png, jpeg, docx, xlsx, txt or csv (checked by content).")
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    path = models.CharField(max_length=300, help_text="Relative to MEDIA_ROOT.")
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta(TenantModel.Meta):
        ordering = ["name", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["requirement_status", "name", "version"], name="gov_evidence_version_uniq")
        ]
