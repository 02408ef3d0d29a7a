"""The pack's section on the dialogue between a country and its partner managers: every message of
the period on an engagement or a deployment request, by id, author's account and role, and the
digest of its text as the record holds it: the HMAC-SHA256 under its conversation's key, or for a
message written before there were keys, its SHA-256 (the text itself stays in the portal: it is free
text, sealed under the country's key, and may name people). One query whatever the number of
messages."""

from __future__ import annotations

from django.db.models import Count
from django.utils.translation import gettext_noop

from tenants.conversations.models import Message
from tenants.models import Country


def conversation_rows(country: Country, period) -> tuple[str, str, list[str], list[list]]:
    """(name, title, columns, rows) of the section (portal.reports.sections.conversations)."""
    start, end = period.bounds()
    rows = [
        [
            m["pk"],
            m["conversation__subject"],
            m["conversation__subject_id"],
            m["created_at"],
            m["author_id"],
            m["author_role"],
            m["sha256"],
            m["digest"],
            m["attachments_count"],
        ]
        for m in Message.objects.filter(country_id=country.pk, created_at__gte=start, created_at__lt=end)
        .annotate(attachments_count=Count("attachments"))
        .order_by("created_at", "pk")
        .values(
            "pk",
            "conversation__subject",
            "conversation__subject_id",
            "created_at",
            "author_id",
            "author_role",
            "sha256",
            "digest",
            "attachments_count",
        )
    ]
    return (
        "conversations",
        gettext_noop("Messages between the country and its partner managers in the period"),
        [
            "message_id",
            "subject",
            "subject_id",
            "at",
            "by_user_id",
            "by_role",
            "text_sha256",
            "text_hmac",
            "attachments",
        ],
        rows,
    )
