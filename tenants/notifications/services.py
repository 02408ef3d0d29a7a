"""In-app notifications and their emails: who must act next on a country's engagement is told in
the portal and by email (sent by a worker once the transaction commits, so a refused change sends
nothing).
Also the /notifications/ page."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from guardian.models import GroupObjectPermission, UserObjectPermission

from tenants.access import PARTNER_MANAGERS_GROUP, PARTNER_PERMISSION, Access
from tenants.isolation import country_context
from tenants.languages.choice import in_language_of
from tenants.models import Country, Membership
from tenants.notifications.mail import mail_enqueue
from tenants.notifications.models import Notification
from tenants.notifications.selectors import notification_list


def partner_managers_of(country: Country) -> QuerySet:
    """Active users who manage this country's partnership (directly or through a group), while in the group."""
    User = get_user_model()
    content_type = ContentType.objects.get_for_model(Country)
    direct = UserObjectPermission.objects.filter(
        content_type=content_type, object_pk=str(country.pk), permission__codename=PARTNER_PERMISSION
    ).values("user_id")
    groups = GroupObjectPermission.objects.filter(
        content_type=content_type, object_pk=str(country.pk), permission__codename=PARTNER_PERMISSION
    ).values("group_id")
    return (
        User.objects.filter(is_active=True, groups__name=PARTNER_MANAGERS_GROUP)
        .filter(Q(pk__in=direct) | Q(groups__in=groups))
        .distinct()
    )


def country_admins_of(country: Country) -> QuerySet:
    User = get_user_model()
    with country_context(country):
        ids = list(
            Membership.objects.filter(role=Membership.Role.COUNTRY_ADMIN, status=Membership.Status.ACTIVE).values_list(
                "user_id", flat=True
            )
        )
    return User.objects.filter(pk__in=ids, is_active=True)


def notification_texts(subject, body) -> dict[str, list[str]]:
    """A notification's subject and body (lazy texts, rendered when read) in each of the portal's
    languages, for Notification.texts: it is shown in whichever its reader reads then."""
    from django.conf import settings
    from django.utils import translation

    texts = {}
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            texts[code] = [str(subject)[:200], str(body)]
    return texts


def notification_write(*, user, country: Country, subject, body, url: str) -> Notification:
    """One in-app notification (no email), written in every language: `subject` and `body` are lazy
    texts (gettext_lazy, per_reader), never a string already rendered in one language."""
    with in_language_of(user):
        text_subject, text_body = str(subject), str(body)
    return Notification.objects.create(
        user=user,
        country=country,
        subject=text_subject[:200],
        body=text_body,
        url=url,
        texts=notification_texts(subject, body),
    )


def notify(*, users, country: Country, subject: str, body: str, url: str) -> int:
    """One in-app notification per person, and one email each once the transaction commits, each
    in the recipient's language: `subject` and `body` may be lazy texts, rendered once per person."""
    from django.conf import settings

    people = list(users)
    link = f"{settings.PORTAL_BASE_URL.rstrip('/')}{url}"
    rows = []
    for user in people:
        with in_language_of(user):
            text_subject, text_body = str(subject), str(body)
        rows.append(
            Notification(
                user=user,
                country=country,
                subject=text_subject[:200],
                body=text_body,
                url=url,
                texts=notification_texts(subject, body),
            )
        )
        mail_enqueue(to=user.email, subject=text_subject, body=f"{text_body}\n\n{link}\n")
    Notification.objects.bulk_create(rows)
    return len(people)


def notify_partner_managers(*, country: Country, subject: str, body: str, url: str) -> int:
    return notify(users=partner_managers_of(country), country=country, subject=subject, body=body, url=url)


def notify_country_admins(*, country: Country, subject: str, body: str, url: str) -> int:
    return notify(users=country_admins_of(country), country=country, subject=subject, body=body, url=url)


def notifications_clear(*, country: Country, url: str) -> int:
    """Mark read everyone's unread notices about this page: what they asked for is done."""
    with country_context(country):
        return Notification.objects.filter(country=country, url=url, read_at__isnull=True).update(
            read_at=timezone.now()
        )


# --- Reads -----------------------------------------------------------------------------------------


@transaction.atomic
def notifications_mark_read(*, user, access: Access) -> int:
    with country_context(access.country_ids):
        return notification_list(user=user, access=access).filter(read_at__isnull=True).update(read_at=timezone.now())


# --- Page ------------------------------------------------------------------------------------------
