"""Policies: platform templates, a country's adopted policies and their versions, staff
acknowledgements, and the shared-policy library.

Sharing across countries without weakening isolation: a country that shares a policy publishes a
*snapshot* (title, language, text, the source country's code and name, version number) into SharedPolicy, a
platform-level table with no reader country and no row-level security, holding only what the
sharing country chose to make public. Readers never touch the source's CountryPolicy rows. Another
country adopts a shared policy by copying the snapshot's text into its own CountryPolicy at that
moment; later versions shared by the source update the snapshot, never the adopter's copy."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy

from tenants.models import TenantModel

ACK_ROLES = ("country_admin", "officer", "viewer")


class PolicyTemplate(models.Model):
    """A policy written by the programme, offered to every country (platform data, no country)."""

    slug = models.SlugField(max_length=60, unique=True)
    title = models.CharField(max_length=200)
    summary = models.CharField(max_length=400)
    text = models.TextField(help_text=gettext_lazy("Plain text; blank lines separate paragraphs."))
    language = models.CharField(max_length=12, default="en")
    default_roles = models.JSONField(
        default=list, help_text=gettext_lazy('Roles that must acknowledge, e.g. ["officer"].')
    )

    class Meta:
        verbose_name = gettext_lazy("policy template")
        verbose_name_plural = gettext_lazy("policy templates")
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title


class SharedPolicy(models.Model):
    """A read-only snapshot of a policy that a country chose to share with the others."""

    # The source is named, not referenced: the library holds no key into country-owned data, so
    # it is platform data (no country_id, no row-level security) and readers reach nothing else.
    source_country_code = models.CharField(max_length=2)
    source_country_name = models.CharField(max_length=100)
    source_policy_id = models.BigIntegerField(
        help_text=gettext_lazy(
            "Id of the source's CountryPolicy (not a foreign key: readers must not reach the source's rows)."
        )
    )
    title = models.CharField(max_length=200)
    language = models.CharField(max_length=12)
    text = models.TextField()
    version_number = models.PositiveIntegerField()
    shared_at = models.DateTimeField(default=timezone.now)
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = gettext_lazy("shared policy")
        verbose_name_plural = gettext_lazy("shared policies")
        ordering = ["title"]
        constraints = [
            models.UniqueConstraint(fields=["source_country_code", "source_policy_id"], name="gov_shared_source_uniq")
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.source_country_code})"


class CountryPolicy(TenantModel):
    """A policy a country adopted (from a template, from another country's shared policy, or its own)."""

    class Origin(models.TextChoices):
        TEMPLATE = "template", gettext_lazy("Programme template")
        SHARED = "shared", gettext_lazy("Shared by another country")

    title = models.CharField(max_length=200)
    origin = models.CharField(max_length=10, choices=Origin.choices, default=Origin.TEMPLATE)
    template = models.ForeignKey(PolicyTemplate, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    shared_from = models.ForeignKey(SharedPolicy, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    is_shared = models.BooleanField(
        default=False, help_text=gettext_lazy("Offered to other countries as a read-only copy.")
    )
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")

    class Meta(TenantModel.Meta):
        verbose_name = gettext_lazy("country policy")
        verbose_name_plural = gettext_lazy("country policies")
        ordering = ["title"]
        constraints = [models.UniqueConstraint(fields=["country", "id"], name="gov_policy_country_id_uniq")]

    def __str__(self) -> str:
        return self.title

    @property
    def read_only(self) -> bool:
        """A copy adopted from another country is kept as the source wrote it."""
        return self.origin == self.Origin.SHARED


class PolicyVersion(TenantModel):
    class Status(models.TextChoices):
        DRAFT = "draft", gettext_lazy("Draft")
        PUBLISHED = "published", gettext_lazy("Published")

    policy = models.ForeignKey(CountryPolicy, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    language = models.CharField(max_length=12)
    text = models.TextField()
    roles = models.JSONField(default=list, help_text=gettext_lazy("Roles whose members must acknowledge this version."))
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    created_at = models.DateTimeField(default=timezone.now)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta(TenantModel.Meta):
        verbose_name = gettext_lazy("policy version")
        verbose_name_plural = gettext_lazy("policy versions")
        ordering = ["policy", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["country", "id"], name="gov_version_country_id_uniq"),
            models.UniqueConstraint(fields=["policy", "number"], name="gov_version_policy_number_uniq"),
        ]
        indexes = [models.Index(fields=["country", "policy", "status"], name="gov_version_country_idx")]

    def __str__(self) -> str:
        return f"{self.policy} v{self.number}"


class Acknowledgement(TenantModel):
    """A person's statement that they read a published version; valid until expires_at."""

    version = models.ForeignKey(PolicyVersion, on_delete=models.CASCADE, related_name="acknowledgements")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    reminded_at = models.DateTimeField(null=True, blank=True)

    class Meta(TenantModel.Meta):
        verbose_name = gettext_lazy("acknowledgement")
        verbose_name_plural = gettext_lazy("acknowledgements")
        ordering = ["-at"]
        indexes = [models.Index(fields=["country", "version", "user"], name="gov_ack_country_idx")]
