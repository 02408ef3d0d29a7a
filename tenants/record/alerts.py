"""Emails about the record: a ledger break goes to platform admins and the chain's auditors (sent by a
worker, through tenants.notifications.mail)."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils.translation import gettext, gettext_lazy

from tenants.access import AUDITOR_PERMISSION, AUDITORS_GROUP
from tenants.models import Country
from tenants.notifications.mail import mail_to_user


def _auditor_ids(codes: set[str]) -> set[int]:
    from guardian.models import UserObjectPermission

    country_ids = [str(pk) for pk in Country.objects.filter(code__in=codes).values_list("pk", flat=True)]
    return set(
        UserObjectPermission.objects.filter(
            permission__codename=AUDITOR_PERMISSION, object_pk__in=country_ids
        ).values_list("user_id", flat=True)
    )


def ledger_break_notify(*, reports) -> int:
    """One mail to each platform admin and auditor of a broken chain, in the language each reads
    (run by the worker that verified the ledger)."""
    User = get_user_model()
    recipients = list(
        User.objects.filter(
            Q(is_superuser=True) | Q(pk__in=_auditor_ids({r.chain for r in reports}), groups__name=AUDITORS_GROUP),
            is_active=True,
        )
        .exclude(email="")
        .distinct()
        .order_by("pk")
    )
    lines = "\n".join(f"- {r.chain}: {r.problem}" for r in reports)
    for recipient in recipients:
        mail_to_user(
            recipient,
            subject=gettext_lazy("Ledger verification found a break"),
            body=lambda: (
                gettext(
                    "The scheduled verification of the portal's ledger found chains that no longer verify:\n\n"
                    "%(lines)s\n\nThe record may have been altered outside the portal. Investigate before relying "
                    "on it; the alert stays on the portal until a platform admin resolves it."
                )
                % {"lines": lines}
            ),
        )
    return len(recipients)
