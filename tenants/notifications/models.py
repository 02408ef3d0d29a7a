"""In-app notifications: one row per person and country, seen only while the person can see that country."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy

from tenants.models import TenantModel


class Notification(TenantModel):
    """An in-app message to one person about one country: a row of that country's data, so it is seen
    only while the person can see the country (tenants.notifications.selectors reads it across all of theirs)."""

    writable_after_exit = True  # people are told of the exit, and may still mark messages read

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    subject = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    url = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    # The subject and body in each of the portal's languages ({"fr": [subject, body], …}), written
    # with the notification, so that it reads in its reader's language of the moment, not the one
    # they had when it was written. `subject` and `body` hold the text in the recipient's language
    # then: what rows written before this column (null) show.
    texts = models.JSONField(gettext_lazy("texts in each language"), null=True, blank=True, editable=False)

    class Meta(TenantModel.Meta):
        verbose_name = gettext_lazy("notification")
        verbose_name_plural = gettext_lazy("notifications")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "read_at", "created_at"], name="tenants_notif_user_idx")]

    def __str__(self) -> str:
        return self.shown_subject

    def _shown(self) -> tuple[str, str]:
        from django.utils.translation import get_language

        text = (self.texts or {}).get((get_language() or "").split("-")[0])
        return (text[0], text[1]) if text else (self.subject, self.body)

    @property
    def shown_subject(self) -> str:
        """The subject in the reader's language (the one it was written in for an older row)."""
        return self._shown()[0]

    @property
    def shown_body(self) -> str:
        return self._shown()[1]


class OutgoingMail(models.Model):
    """One email to one person, written in the transaction of the change it tells about and sent by
    a worker (tenants.notifications.mail). A mail server outage delays it; it never fails the
    change. Once sent, the address and the text are wiped: the row stays as a delivery record.

    Sent at most once: `sending_at` is committed before the mail is handed to the mail server, so a
    job delivered again after its worker died mid-send finds it and sends nothing (the mail is then
    "interrupted": its fate is unknown, and it is left for a person to check, never sent twice)."""

    to = models.CharField(max_length=254)
    subject = models.CharField(max_length=200)
    body = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)
    sending_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text=gettext_lazy("When a worker began handing it to the mail server; cleared if the server refused it."),
    )
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=300, blank=True)

    class Meta:
        verbose_name = gettext_lazy("outgoing email")
        verbose_name_plural = gettext_lazy("outgoing emails")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["sent_at", "created_at"], name="tenants_mail_pending_idx")]

    def __str__(self) -> str:
        return f"Mail {self.pk} ({'sent' if self.sent_at else 'waiting'})"
