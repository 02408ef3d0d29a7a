"""Programmes a country writes for itself (tenant tables), and the published copies of those it
chooses to share (a platform table).

Sharing never opens one country's rows to another: sharing writes a *snapshot* (title, summary,
content of one version) into SharedProgramme, a platform table that holds only what the author
country chose to publish. Another country that adopts it gets its own CountryProgramme copy, in
its own country, marked as adopted and read-only. Row-level security on the tenant tables is never
relaxed, and withdrawing a share hides the snapshot from new adopters without touching the copies
already adopted."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy

from tenants.models import TenantModel


class SharedProgramme(models.Model):
    # The author, by code and name as published, and its programme by id within that country: no
    # foreign keys, so the snapshot is plainly platform data, not a row any country owns.
    source_country_code = models.CharField(max_length=2)
    source_country_name = models.CharField(max_length=100)
    source_programme_id = models.BigIntegerField()
    source_version = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    summary = models.TextField(blank=True)
    content = models.JSONField()
    pass_mark = models.PositiveSmallIntegerField()
    shared_at = models.DateTimeField(default=timezone.now)
    # Withdrawn rather than deleted: adopted copies in other countries still name it, and their rows
    # are out of the withdrawing country's reach.
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = gettext_lazy("shared programme")
        verbose_name_plural = gettext_lazy("shared programmes")
        ordering = ["title", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["source_country_code", "source_programme_id"], name="training_shared_source_uniq"
            )
        ]

    def __str__(self) -> str:
        return self.title


class CountryProgramme(TenantModel):
    title = models.CharField(max_length=200)
    summary = models.TextField(blank=True)
    adopted_from = models.ForeignKey(
        SharedProgramme,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=gettext_lazy("Set on a read-only copy of another country's programme."),
    )
    adopted_from_country = models.CharField(max_length=2, blank=True)
    is_adopted = models.BooleanField(default=False)
    is_shared = models.BooleanField(default=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta(TenantModel.Meta):
        verbose_name = gettext_lazy("country programme")
        verbose_name_plural = gettext_lazy("country programmes")
        ordering = ["title", "id"]
        constraints = [
            models.UniqueConstraint(fields=["country", "id"], name="training_cprog_country_id_uniq"),
            models.UniqueConstraint(fields=["country", "title"], name="training_cprog_country_title_uniq"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def reading_title(self) -> str:
        """As its country wrote it: a country's own programme is data, in its own language."""
        return self.title

    @property
    def plain_title(self) -> str:
        """As its country wrote it (the catalogue's programmes give theirs in the reader's language)."""
        return self.title

    @property
    def slug(self) -> str:
        """The code used in rosters and the API: catalogue codes never start with 'local-'."""
        return f"local-{self.pk}"


class CountryProgrammeVersion(TenantModel):
    programme = models.ForeignKey(CountryProgramme, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    content = models.JSONField()
    pass_mark = models.PositiveSmallIntegerField(default=80)
    published_at = models.DateTimeField(default=timezone.now)

    class Meta(TenantModel.Meta):
        verbose_name = gettext_lazy("country programme version")
        verbose_name_plural = gettext_lazy("country programme versions")
        ordering = ["programme", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["country", "id"], name="training_cver_country_id_uniq"),
            models.UniqueConstraint(fields=["country", "programme", "number"], name="training_cver_number_uniq"),
        ]

    @property
    def modules(self) -> list[dict]:
        return list(self.content.get("modules", []))

    def module_titles_in_reading(self) -> list:
        return [m["title"] for m in self.modules]

    def module_in_reading(self, index: int) -> dict:
        """One module as its country wrote it (the same shape as the catalogue's, see
        ProgrammeVersion.module_in_reading)."""
        from training.rendering import render_markdown

        module = self.modules[index]
        return {**module, "body_html": render_markdown(module.get("body", ""))}
