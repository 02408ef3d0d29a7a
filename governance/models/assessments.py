"""AI impact assessments: one per intended use, scored from a versioned questionnaire
(governance.questionnaire). A completed assessment is immutable; a new one supersedes it."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tenants.models import TenantModel


class ImpactAssessment(TenantModel):
    class Status(models.TextChoices):
        DRAFT = "draft", gettext_lazy("Draft")
        COMPLETED = "completed", gettext_lazy("Completed")
        SUPERSEDED = "superseded", gettext_lazy("Superseded")

    class Category(models.TextChoices):
        PROHIBITED = "prohibited", gettext_lazy("Prohibited")
        HIGH_RISK = "high_risk", gettext_lazy("High-risk")
        LIMITED = "limited", gettext_lazy("Limited risk (transparency)")
        MINIMAL = "minimal", gettext_lazy("Minimal risk")

    title = models.CharField(max_length=200)
    use_reference = models.CharField(
        max_length=100, blank=True, help_text=gettext_lazy("The intended use or deployment this assessment covers.")
    )
    questionnaire_version = models.PositiveIntegerField()
    answers = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.DRAFT)
    raw_score = models.PositiveIntegerField(null=True, blank=True)
    mitigation_score = models.PositiveIntegerField(null=True, blank=True)
    impact_level = models.PositiveSmallIntegerField(null=True, blank=True)
    category = models.CharField(max_length=12, choices=Category.choices, blank=True)
    obligations = models.JSONField(default=list, blank=True)
    supersedes = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    completed_at = models.DateTimeField(null=True, blank=True)
    completed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    # A completed assessment is reviewed by this date: confirmed still accurate (which moves the
    # date on) or superseded by a new one. The people responsible are told ahead of it.
    review_by = models.DateField(null=True, blank=True)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_reminded_at = models.DateTimeField(null=True, blank=True)

    # Once completed, only the move to superseded may touch the row.
    FROZEN_FIELDS = (
        "title",
        "use_reference",
        "questionnaire_version",
        "answers",
        "raw_score",
        "mitigation_score",
        "impact_level",
        "category",
        "obligations",
        "completed_at",
        "supersedes_id",
    )

    class Meta(TenantModel.Meta):
        verbose_name = gettext_lazy("impact assessment")
        verbose_name_plural = gettext_lazy("impact assessments")
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["country", "id"], name="gov_assessment_country_id_uniq")]
        indexes = [models.Index(fields=["country", "status"], name="gov_assessment_country_idx")]

    def __str__(self) -> str:
        return self.title

    @property
    def level_label(self) -> str:
        return {1: "I", 2: "II", 3: "III", 4: "IV"}.get(self.impact_level or 0, "")

    def save(self, *args, **kwargs):
        if self.pk is not None:
            stored = type(self).objects.filter(pk=self.pk).values("status", *self.FROZEN_FIELDS).first()
            if stored is not None and stored["status"] != self.Status.DRAFT:
                changed = [f for f in self.FROZEN_FIELDS if stored[f] != getattr(self, f)]
                moves = (stored["status"], self.status)
                if changed or moves not in {
                    (self.Status.COMPLETED, self.Status.COMPLETED),
                    (self.Status.COMPLETED, self.Status.SUPERSEDED),
                    (self.Status.SUPERSEDED, self.Status.SUPERSEDED),
                }:
                    raise ValidationError(
                        _("A completed assessment cannot be changed; start a new one that supersedes it.")
                    )
        return super().save(*args, **kwargs)
