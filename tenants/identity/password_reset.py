"""Password reset by email, decided by a worker. The person's request does the same work whatever
the address it names: it writes a PasswordResetRequest (the address, kept as a waiting mail keeps
one) and its job, and answers. The worker looks the address up and writes allauth's reset mail to
each active account of it, in that account's language; an address with no account gets no mail
(ACCOUNT_EMAIL_UNKNOWN_ACCOUNTS is off). Either way the row is deleted: the address is not kept."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from tenants.identity.mails import allauth_mail_write, password_reset_url
from tenants.identity.models import PasswordResetRequest
from tenants.jobs.outbox import outbox_enqueue

RESET_TASK = "tenants.password_reset_answer"
# A request whose job was lost (it raised, or never ran) is answered again after this long...
REDRIVE_AFTER = timedelta(minutes=5)
# ...and forgotten, unanswered, after this long: the person asks again.
FORGET_AFTER = timedelta(hours=1)


@transaction.atomic
def password_reset_request(*, email: str) -> PasswordResetRequest:
    """In the request: one row and one job, the same for an address with or without an account."""
    reset = PasswordResetRequest.objects.create(email=(email or "").strip().lower()[:254])
    outbox_enqueue(task=RESET_TASK, reset_id=reset.pk)
    return reset


def password_reset_answer(*, reset_id: int) -> int:
    """The worker: a reset mail to each active account of the address (none for an unknown one),
    once however often the job is delivered; returns how many mails were written."""
    from allauth.account.forms import default_token_generator
    from allauth.account.internal.userkit import filter_users_by_email  # the look-up allauth's form made
    from allauth.account.utils import user_pk_to_url_str, user_username

    with transaction.atomic():
        reset = PasswordResetRequest.objects.select_for_update(skip_locked=True).filter(pk=reset_id).first()
        if reset is None:
            return 0
        email = reset.email
        reset.delete()
        users = filter_users_by_email(email, is_active=True, prefer_verified=True, for_login=True)
        for user in users:
            uid, key = user_pk_to_url_str(user), default_token_generator.make_token(user)
            context = {
                "user": user,
                "password_reset_url": password_reset_url(f"{uid}-{key}"),
                "uid": uid,
                "key": key,
                "username": user_username(user),
            }
            allauth_mail_write("account/email/password_reset_key", to=email, context=context, user=user)
    return len(users)


def password_reset_sweep() -> int:
    """Forget requests too old to answer, and answer again those whose job was lost; returns how
    many were sent again."""
    now = timezone.now()
    PasswordResetRequest.objects.filter(created_at__lte=now - FORGET_AFTER).delete()
    waiting = list(
        PasswordResetRequest.objects.filter(created_at__lte=now - REDRIVE_AFTER).values_list("pk", flat=True)
    )
    with transaction.atomic():
        for reset_id in waiting:
            outbox_enqueue(task=RESET_TASK, reset_id=reset_id)
    return len(waiting)
