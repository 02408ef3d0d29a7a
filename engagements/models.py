"""Engagements: a country's agreement with the programme, its versioned terms and the record of every
transition; and the vocabulary (sectors, capabilities, economic models) that deployments uses too."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy, pgettext_lazy

from tenants.keys.fields import EncryptedTextField
from tenants.models import Country, Organisation, SealedTenantModel, TenantModel


class Sector(models.TextChoices):
    PUBLIC_SERVICES = "public_services", gettext_lazy("Public services")
    EDUCATION = "education", gettext_lazy("Education")
    HEALTH = "health", gettext_lazy("Health")
    SECURITY = "security", gettext_lazy("Security")
    JUSTICE = "justice", gettext_lazy("Justice")
    AGRICULTURE = "agriculture", gettext_lazy("Agriculture")
    FINANCE = "finance", gettext_lazy("Public finance")


class Capability(models.TextChoices):
    # The vocabulary deployments uses for what a model may be deployed to do.
    TEXT = "text", gettext_lazy("Text")
    VISION = "vision", gettext_lazy("Vision")
    SPEECH = "speech", gettext_lazy("Speech")
    EMBEDDINGS = "embeddings", gettext_lazy("Embeddings")
    FINE_TUNING = "fine_tuning", gettext_lazy("Fine-tuning")


class EconomicModel(models.TextChoices):
    FIXED = "fixed", gettext_lazy("Fixed fee")
    USAGE_BASED = "usage_based", gettext_lazy("Usage-based")
    GRANT = "grant", gettext_lazy("Grant or sponsored")


class Engagement(TenantModel):
    class State(models.TextChoices):
        DRAFT = "draft", gettext_lazy("Draft")
        SUBMITTED = "submitted", pgettext_lazy("engagement state", "Submitted")
        IN_REVIEW = "in_review", gettext_lazy("In review")
        APPROVED = "approved", pgettext_lazy("engagement state", "Approved")
        ACTIVE = "active", pgettext_lazy("engagement state", "Active")
        SUSPENDED = "suspended", pgettext_lazy("engagement state", "Suspended")
        CLOSED = "closed", gettext_lazy("Closed")
        REJECTED = "rejected", pgettext_lazy("engagement state", "Rejected")

    class Amendment(models.TextChoices):
        # A change of terms after approval runs its own small review while the approved version stays in force.
        NONE = "", gettext_lazy("None")
        DRAFT = "draft", gettext_lazy("Draft")
        SUBMITTED = "submitted", pgettext_lazy("amendment state", "Submitted")
        IN_REVIEW = "in_review", gettext_lazy("In review")

    FINISHED = frozenset({State.CLOSED, State.REJECTED})

    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="engagements",
        help_text=gettext_lazy("The organisation that applies on the country's behalf."),
    )
    state = models.CharField(max_length=12, choices=State.choices, default=State.DRAFT)
    amendment = models.CharField(max_length=12, choices=Amendment.choices, default="", blank=True)
    approved_terms = models.ForeignKey(
        "EngagementTerms",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=gettext_lazy("The version in force, pinned at approval."),
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    submitted_at = models.DateTimeField(null=True, blank=True, help_text=gettext_lazy("When it last entered review."))
    reminded_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta(TenantModel.Meta):
        # The tables keep the names they had in the tenants app: sealed values are bound to their
        # table's name (tenants.keys.fields), so a rename would make every sealed value unreadable.
        verbose_name = gettext_lazy("engagement")
        verbose_name_plural = gettext_lazy("engagements")
        db_table = "tenants_engagement"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["country", "id"], name="tenants_engagement_country_id_uniq"),
            # One current engagement per country; finished ones stay as history.
            models.UniqueConstraint(
                fields=["country"],
                condition=~Q(state__in=["closed", "rejected"]),
                name="tenants_engagement_one_current",
            ),
        ]
        indexes = [models.Index(fields=["country", "state", "submitted_at"], name="tenants_eng_country_state_idx")]

    def __str__(self) -> str:
        return f"Engagement {self.pk} ({self.get_state_display()})"

    @property
    def waiting_for_review(self) -> bool:
        return self.state in (self.State.SUBMITTED, self.State.IN_REVIEW) or self.amendment in (
            self.Amendment.SUBMITTED,
            self.Amendment.IN_REVIEW,
        )


class EngagementTerms(SealedTenantModel):
    """One version of an engagement's terms. Versions are never edited: a change is a new version."""

    engagement = models.ForeignKey(Engagement, on_delete=models.PROTECT, related_name="versions")
    version = models.PositiveIntegerField()
    sectors = models.JSONField(default=list, help_text=gettext_lazy("Sector values in scope."))
    capabilities = models.JSONField(default=list, help_text=gettext_lazy("Capability values allowed."))
    residency_region = models.CharField(max_length=20, choices=Country.Region.choices)
    monthly_token_quota = models.BigIntegerField(
        help_text=gettext_lazy("Tokens a month across the country's deployments.")
    )
    start_date = models.DateField()
    end_date = models.DateField(null=True, blank=True)
    economic_model = models.CharField(max_length=12, choices=EconomicModel.choices)
    # Conditions can be commercially confidential: sealed under the country's key.
    conditions = EncryptedTextField(gettext_lazy("conditions"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta(TenantModel.Meta):
        verbose_name = gettext_lazy("engagement terms")
        verbose_name_plural = gettext_lazy("engagement terms")
        db_table = "tenants_engagementterms"  # see Engagement.Meta
        ordering = ["engagement", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["country", "id"], name="tenants_engterms_country_id_uniq"),
            models.UniqueConstraint(fields=["engagement", "version"], name="tenants_engterms_version_uniq"),
        ]

    def __str__(self) -> str:
        return f"Terms v{self.version}"

    def sector_labels(self) -> list[str]:
        return [str(Sector(s).label) if s in Sector.values else s for s in self.sectors]

    def capability_labels(self) -> list[str]:
        return [str(Capability(c).label) if c in Capability.values else c for c in self.capabilities]


class EngagementTransition(SealedTenantModel):
    """Who moved an engagement, when, why, and from which state to which (the page's history; the
    ledger holds the tamper-evident copy)."""

    engagement = models.ForeignKey(Engagement, on_delete=models.PROTECT, related_name="transitions")
    action = models.CharField(max_length=20)
    from_state = models.CharField(max_length=12)
    to_state = models.CharField(max_length=12)
    amendment = models.BooleanField(default=False, help_text=gettext_lazy("Part of the review of a change of terms."))
    terms_version = models.PositiveIntegerField(null=True, blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    by_role = models.CharField(max_length=20)
    comment = EncryptedTextField(gettext_lazy("comment"))
    at = models.DateTimeField(default=timezone.now)

    class Meta(TenantModel.Meta):
        verbose_name = gettext_lazy("engagement transition")
        verbose_name_plural = gettext_lazy("engagement transitions")
        db_table = "tenants_engagementtransition"  # see Engagement.Meta
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["country", "engagement", "at"], name="tenants_engtr_country_eng_idx")]
