"""Emails about the record: a ledger break goes to platform admins and the chain's auditors (sent by a
worker, through tenants.notifications.mail)."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import Q

from tenants.access import AUDITOR_PERMISSION, AUDITORS_GROUP
from tenants.models import Country
from tenants.notifications.mail import mail_enqueue


def _auditor_emails(codes: set[str]) -> set[str]:
    from guardian.models import UserObjectPermission

    country_ids = [str(pk) for pk in Country.objects.filter(code__in=codes).values_list("pk", flat=True)]
    user_ids = UserObjectPermission.objects.filter(
        permission__codename=AUDITOR_PERMISSION, object_pk__in=country_ids
    ).values_list("user_id", flat=True)
    User = get_user_model()
    return set(
        User.objects.filter(pk__in=user_ids, groups__name=AUDITORS_GROUP, is_active=True)
        .exclude(email="")
        .values_list("email", flat=True)
    )


def ledger_break_notify(*, reports) -> int:
    User = get_user_model()
    admins = set(
        User.objects.filter(Q(is_superuser=True), is_active=True).exclude(email="").values_list("email", flat=True)
    )
    recipients = admins | _auditor_emails({r.chain for r in reports})
    if not recipients:
        return 0
    lines = "\n".join(f"- {r.chain}: {r.problem}" for r in reports)
    for recipient in sorted(recipients):
        mail_enqueue(
            to=recipient,
            subject="Ledger verification found a break",
            body=(
                "The scheduled verification of the portal's ledger found chains that no longer verify:\n\n"
                f"{lines}\n\nThe record may have been altered outside the portal. Investigate before relying "
                "on it; the alert stays on the portal until a platform admin resolves it."
            ),
        )
    return len(recipients)
