"""The register's tables: one entry per published (or to-be-published) deployment, and its
versions. A version holds what officers wrote, in the language they wrote it, and, once published,
the portal's facts as they stood at that moment (`drawn`): a published version never changes, and
a change is a new version.

What the public may read is held by the database too (migration 0020): in the public reading mode
only published entries (and withdrawn ones, which show their name, dates and the reason only) and
the published or superseded versions of published entries can be read at all."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tenants.models import TenantModel

from ..models import DeploymentRequest


class RegisterEntry(TenantModel):
    class State(models.TextChoices):
        DRAFT = "draft", _("Draft, never published")
        PUBLISHED = "published", _("Published")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    request = models.OneToOneField(DeploymentRequest, on_delete=models.PROTECT, related_name="register_entry")
    state = models.CharField(max_length=10, choices=State.choices, default=State.DRAFT)
    # What the public sees of an entry whatever its versions: kept here at each publication.
    public_name = models.CharField(max_length=200, blank=True)
    public_language = models.CharField(max_length=12, blank=True)
    first_published_at = models.DateTimeField(null=True, blank=True)
    last_published_at = models.DateTimeField(null=True, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawal_reason = models.TextField(blank=True, help_text=_("Shown to the public with the withdrawal."))
    # The accountable person's name is shown only once they chose it themselves.
    named_contact = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    named_contact_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta(TenantModel.Meta):
        verbose_name = _("register entry")
        verbose_name_plural = _("register entries")
        ordering = ["public_name", "id"]
        constraints = [models.UniqueConstraint(fields=["country", "id"], name="dep_regentry_country_id_uniq")]
        indexes = [models.Index(fields=["country", "state"], name="dep_regentry_state_idx")]

    def __str__(self) -> str:
        return self.public_name or f"Register entry {self.pk}"


class RegisterVersion(TenantModel):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")
        SUPERSEDED = "superseded", _("Replaced by a later version")

    # Officers' texts: (field, limit). Required unless listed in OPTIONAL.
    TEXTS = {
        "name": 200,
        "summary": 2000,
        "purpose": 2000,
        "how_to_ask": 2000,
        "accountable_role": 200,
        "team": 200,
        "human_oversight": 2000,
        "data_description": 2000,
        "risks_mitigations": 4000,
        "alternatives": 2000,
        "contact_email": 254,
        "website": 500,
    }
    OPTIONAL = frozenset({"team", "risks_mitigations", "alternatives", "contact_email", "website"})

    entry = models.ForeignKey(RegisterEntry, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    language = models.CharField(max_length=12, help_text=_("BCP 47 tag of the language the texts are written in."))
    # Tier 1 of the UK Algorithmic Transparency Recording Standard: for the public.
    name = models.CharField(max_length=200)
    summary = models.TextField(help_text=_("What it does, in plain language."))
    purpose = models.TextField(help_text=_("Why it is used: the problem it helps with and the benefit."))
    how_to_ask = models.TextField(help_text=_("How to ask a question, ask for a person to review, or complain."))
    contact_email = models.EmailField(blank=True, help_text=_("A team or role mailbox, never a person's own address."))
    website = models.URLField(max_length=500, blank=True)
    # Tier 2: the detailed record.
    accountable_role = models.CharField(max_length=200, help_text=_("The role that answers for it, not a name."))
    team = models.CharField(max_length=200, blank=True)
    human_oversight = models.TextField(help_text=_("Who reviews outputs, when, and with what power to override."))
    data_description = models.TextField(help_text=_("The data it uses and where that data comes from."))
    risks_mitigations = models.TextField(blank=True)
    alternatives = models.TextField(blank=True, help_text=_("What was done before, and other options considered."))
    change_note = models.CharField(max_length=500, blank=True, help_text=_("What changed since the last version."))
    drawn = models.JSONField(default=dict, blank=True, help_text=_("The portal's facts, captured at publication."))
    drafted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    drafted_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta(TenantModel.Meta):
        verbose_name = _("register version")
        verbose_name_plural = _("register versions")
        ordering = ["entry", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["country", "id"], name="dep_regversion_country_id_uniq"),
            models.UniqueConstraint(fields=["entry", "number"], name="dep_regversion_number_uniq"),
            models.UniqueConstraint(fields=["entry"], condition=Q(status="draft"), name="dep_regversion_one_draft"),
            models.UniqueConstraint(
                fields=["entry"], condition=Q(status="published"), name="dep_regversion_one_published"
            ),
        ]
        indexes = [models.Index(fields=["country", "status"], name="dep_regversion_status_idx")]

    def __str__(self) -> str:
        return f"{self.name} (v{self.number})"

    def texts(self) -> dict[str, str]:
        return {name: getattr(self, name) for name in self.TEXTS}
