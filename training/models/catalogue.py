"""Platform tables of training (no country column): the catalogue every country may take, and the
requirements the platform sets for everyone.

A programme's content lives in ProgrammeVersion rows that are never edited: a change publishes a
new version. Enrolments pin the version they started on, so a new version never rewrites what
someone read, answered or completed."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy, pgettext_lazy

from tenants.languages.catalogue import catalogue_block, catalogue_plain, catalogue_text

# The vocabularies deployments asks about (sector of the use, capability of the model).
SECTORS = [
    ("public_services", gettext_lazy("Public services")),
    ("education", gettext_lazy("Education")),
    ("health", gettext_lazy("Health")),
    ("security", gettext_lazy("Security")),
    ("justice", gettext_lazy("Justice")),
    ("finance", gettext_lazy("Finance")),
    ("other", pgettext_lazy("sector", "Other")),
]
CAPABILITIES = [
    ("text", gettext_lazy("Text")),
    ("vision", gettext_lazy("Vision")),
    ("speech", gettext_lazy("Speech")),
    ("embeddings", gettext_lazy("Embeddings")),
    ("fine_tuning", gettext_lazy("Fine-tuning")),
]
ROLES = [
    ("country_admin", gettext_lazy("Country admin")),
    ("officer", gettext_lazy("Officer")),
    ("viewer", gettext_lazy("Viewer")),
]


class Programme(models.Model):
    slug = models.SlugField(max_length=60, unique=True)
    title = models.CharField(max_length=200)
    summary = models.TextField()
    is_active = models.BooleanField(default=True, help_text=gettext_lazy("Inactive programmes take no new enrolments."))
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = gettext_lazy("programme")
        verbose_name_plural = gettext_lazy("programmes")
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title

    @property
    def reading_title(self):
        """The title in the reader's language (the catalogue's English marked lang="en" if none)."""
        return catalogue_text(self.title)

    @property
    def plain_title(self) -> str:
        """The title in the reader's language, without markup: for messages, mails and choices."""
        return catalogue_plain(self.title)


class ProgrammeVersion(models.Model):
    """One published state of a programme's content, immutable once written.

    `content` is {"modules": [{"title", "body" (Markdown), "links": [{"title", "url"}],
    "quiz": [{"question", "options": [...], "answer": index}]}]}; `pass_mark` is the percentage of
    a module's questions that must be answered correctly."""

    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    content = models.JSONField()
    pass_mark = models.PositiveSmallIntegerField(default=80)
    published_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = gettext_lazy("programme version")
        verbose_name_plural = gettext_lazy("programme versions")
        ordering = ["programme", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["programme", "number"], name="training_version_programme_number_uniq"),
            models.CheckConstraint(
                condition=models.Q(pass_mark__gte=1, pass_mark__lte=100), name="training_version_pass_mark_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.programme} v{self.number}"

    @property
    def modules(self) -> list[dict]:
        return list(self.content.get("modules", []))

    def module_titles_in_reading(self) -> list:
        return [catalogue_text(m["title"]) for m in self.modules]

    def module_in_reading(self, index: int) -> dict:
        """One module in the reader's language: the catalogue's texts are message ids (training/
        catalogue.py), translated each where the catalogues hold it. The answer stays an index, so
        a translation never changes what is right."""
        from training.rendering import render_markdown

        module = self.modules[index]
        return {
            **module,
            "title": catalogue_text(module["title"]),
            "body_html": catalogue_block(module.get("body", ""), render_markdown),
            "links": [{**link, "title": catalogue_text(link["title"])} for link in module.get("links", [])],
            "quiz": [
                {**q, "question": catalogue_text(q["question"]), "options": [catalogue_text(o) for o in q["options"]]}
                for q in module.get("quiz", [])
            ],
        }


class PlatformRequirement(models.Model):
    """A programme that every country's people in `role` must hold (for a sector or capability
    when given; blank means always)."""

    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="platform_requirements")
    role = models.CharField(max_length=20, choices=ROLES)
    sector = models.CharField(max_length=20, choices=SECTORS, blank=True)
    capability = models.CharField(max_length=20, choices=CAPABILITIES, blank=True)

    class Meta:
        verbose_name = gettext_lazy("platform training requirement")
        verbose_name_plural = gettext_lazy("platform training requirements")
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "role", "sector", "capability"], name="training_platformreq_uniq"
            )
        ]

    def __str__(self) -> str:
        return f"{self.programme} for {self.get_role_display()}"
