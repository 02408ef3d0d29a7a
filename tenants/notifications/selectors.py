"""Reads of a person's notifications across the countries they can see."""

from __future__ import annotations

from django.db.models import QuerySet

from tenants.access import Access
from tenants.isolation import reading_context
from tenants.notifications.models import Notification


def notification_list(*, user, access: Access) -> QuerySet[Notification]:
    """A person's notifications, only for countries they can still see. Evaluate it inside a context
    of those countries (the /notifications/ pages have one; see unread_count)."""
    return Notification.objects.filter(user_id=user.pk, country_id__in=access.country_ids).select_related("country")


def unread_count(*, user, access: Access) -> int:
    """For the header of every page, including a country's pages, whose context holds that country
    only: the count opens, for its one query, the context of every country this person can see."""
    with reading_context(access.country_ids):
        return notification_list(user=user, access=access).filter(read_at__isnull=True).count()
