"""What a person chose for themselves: the language of their pages, emails and documents, and the
time zone their times are shown in. Empty means "no choice": the country's default applies."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Preferences(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="preferences"
    )
    language = models.CharField(_("language"), max_length=12, blank=True, default="", choices=settings.LANGUAGES)
    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        blank=True,
        default="",
        help_text=_("An IANA time zone such as Europe/Paris; empty for your country's."),
    )

    class Meta:
        app_label = "tenants"
        verbose_name = _("personal preferences")
        verbose_name_plural = _("personal preferences")

    def __str__(self) -> str:
        return f"{self.user_id}: {self.language or '-'} {self.time_zone or '-'}"
