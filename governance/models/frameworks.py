"""Frameworks and controls: platform-wide frameworks (data, loaded from YAML files: see
docs/frameworks.md and governance.frameworks), each a tree of requirements in one version, with
mappings between requirements of different frameworks; and per country a status, an owner and
evidence files for each requirement.

A framework is identified by its slug and version. Loading a new version keeps the earlier one
and every country's statuses and evidence on it (readable, no longer editable); only the current
version of a slug is offered for new work."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Now
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tenants.keys.fields import EncryptedTextField
from tenants.models import Membership, SealedTenantModel, TenantModel


class Framework(models.Model):
    class Origin(models.TextChoices):
        SHIPPED = "shipped", _("Shipped with the portal")
        IMPORTED = "imported", _("Imported from a framework file")
        CISO_ASSISTANT = "ciso_assistant", _("Imported from a CISO Assistant library")

    slug = models.SlugField(max_length=40)
    version = models.PositiveIntegerField(default=1, db_default=1)
    is_current = models.BooleanField(default=True, db_default=True, help_text=_("The version offered for new work."))
    name = models.CharField(max_length=200)
    summary = models.CharField(max_length=400, blank=True)
    description = models.TextField(blank=True, db_default="")
    language = models.CharField(
        max_length=12, default="en", db_default="en", help_text=_("Language of the names and texts.")
    )
    publisher = models.CharField(
        max_length=200, blank=True, db_default="", help_text=_("Who issued the source document.")
    )
    source_title = models.CharField(max_length=300, blank=True, db_default="", help_text=_("The source document."))
    source_url = models.URLField(max_length=500, blank=True, db_default="", help_text=_("Where the official text is."))
    urn = models.CharField(
        max_length=255, blank=True, db_default="", help_text=_("Identifier in the file it came from, if any.")
    )
    origin = models.CharField(max_length=16, choices=Origin.choices, default=Origin.SHIPPED, db_default=Origin.SHIPPED)
    content_sha256 = models.CharField(
        max_length=64, blank=True, db_default="", help_text=_("SHA-256 of the file last loaded.")
    )
    imported_at = models.DateTimeField(default=timezone.now, db_default=Now())

    class Meta:
        verbose_name = _("framework")
        verbose_name_plural = _("frameworks")
        ordering = ["name", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["slug", "version"], name="gov_framework_version_uniq"),
            models.UniqueConstraint(fields=["slug"], condition=Q(is_current=True), name="gov_framework_current_uniq"),
        ]

    def __str__(self) -> str:
        return f"{self.name} (v{self.version})"


class Requirement(models.Model):
    framework = models.ForeignKey(Framework, on_delete=models.CASCADE, related_name="requirements")
    parent = models.ForeignKey("self", on_delete=models.CASCADE, null=True, blank=True, related_name="children")
    code = models.SlugField(max_length=100)
    urn = models.CharField(max_length=255, blank=True, db_default="")
    reference = models.CharField(
        max_length=200, blank=True, help_text=_('Where it comes from, e.g. "EU AI Act Art. 9".')
    )
    title = models.CharField(max_length=500)
    description = models.TextField(blank=True, db_default="")
    references = models.JSONField(
        default=list,
        db_default=[],
        blank=True,
        help_text=_("[{document, locator, url}]: the passages of the source it rests on."),
    )
    depth = models.PositiveSmallIntegerField(default=1, db_default=1)
    assessable = models.BooleanField(
        default=True, db_default=True, help_text=_("False for a heading that groups requirements.")
    )
    position = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("requirement")
        verbose_name_plural = _("requirements")
        ordering = ["framework", "position"]
        constraints = [models.UniqueConstraint(fields=["framework", "code"], name="gov_requirement_code_uniq")]

    def __str__(self) -> str:
        return f"{self.reference} — {self.title}" if self.reference else self.title


class RequirementMapping(models.Model):
    """How a requirement of one framework relates to one of another, from the source's side.
    Evidence flows where one side covers the other: see governance.selectors.mapped_evidence."""

    class Relationship(models.TextChoices):
        EQUAL = "equal", _("Equal: the two ask the same")
        SUPERSET = "superset", _("Superset: the source asks all the target asks, and more")
        SUBSET = "subset", _("Subset: the source asks part of what the target asks")
        INTERSECT = "intersect", _("Intersect: they overlap")

    source = models.ForeignKey(Requirement, on_delete=models.CASCADE, related_name="mappings_out")
    target = models.ForeignKey(Requirement, on_delete=models.CASCADE, related_name="mappings_in")
    relationship = models.CharField(max_length=10, choices=Relationship.choices)
    note = models.CharField(max_length=500, blank=True)

    class Meta:
        verbose_name = _("requirement mapping")
        verbose_name_plural = _("requirement mappings")
        ordering = ["source", "target"]
        constraints = [
            models.UniqueConstraint(fields=["source", "target"], name="gov_mapping_pair_uniq"),
            models.CheckConstraint(condition=~Q(source=F("target")), name="gov_mapping_not_itself"),
        ]

    def __str__(self) -> str:
        return f"{self.source_id} {self.relationship} {self.target_id}"


class RequirementStatus(SealedTenantModel):
    class Status(models.TextChoices):
        NOT_ASSESSED = "not_assessed", _("Not assessed")
        COMPLIANT = "compliant", _("Compliant")
        PARTIAL = "partial", _("Partially compliant")
        NON_COMPLIANT = "non_compliant", _("Non-compliant")
        NOT_APPLICABLE = "not_applicable", _("Not applicable")

    requirement = models.ForeignKey(Requirement, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.NOT_ASSESSED)
    owner = models.ForeignKey(Membership, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    note = EncryptedTextField(_("note"))
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")

    class Meta(TenantModel.Meta):
        verbose_name = _("requirement status")
        verbose_name_plural = _("requirement statuses")
        constraints = [
            models.UniqueConstraint(fields=["country", "id"], name="gov_reqstatus_country_id_uniq"),
            models.UniqueConstraint(fields=["country", "requirement"], name="gov_reqstatus_country_req_uniq"),
        ]


class EvidenceFile(TenantModel):
    """One stored version of a piece of evidence. Files are stored as evidence/<code>/… through
    tenants.files (sealed under the country's key, local disk or object storage) and served only by
    a view that checks access; earlier versions are kept."""

    requirement_status = models.ForeignKey(RequirementStatus, on_delete=models.CASCADE, related_name="evidence")
    name = models.CharField(max_length=200, help_text=_("The file's name as uploaded."))
    version = models.PositiveIntegerField()
    kind = models.CharField(max_length=10, help_text=_("pdf, png, jpeg, docx, xlsx, txt or csv (checked by content)."))
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    path = models.CharField(max_length=300, help_text=_("Relative to MEDIA_ROOT."))
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta(TenantModel.Meta):
        verbose_name = _("evidence file")
        verbose_name_plural = _("evidence files")
        ordering = ["name", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["requirement_status", "name", "version"], name="gov_evidence_version_uniq")
        ]
