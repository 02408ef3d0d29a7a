"""Password reset by email, decided by a worker. The person's request does the same work whatever
the address it names: it writes a PasswordResetRequest (the address, kept as a waiting mail keeps
one) and its job, and answers. The worker looks the address up and writes allauth's reset mail to
each active account of it, in that account's language; an address with no account gets no mail
(ACCOUNT_EMAIL_UNKNOWN_ACCOUNTS is off). Either way the row is deleted: the address is not kept."""

from __future__ import annotations

from datetime import timedelta

from allauth.core.internal import ratelimit
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy

from tenants.identity.mails import allauth_mail_write, password_reset_url
from tenants.identity.models import PasswordResetRequest
from tenants.identity.sso import provider_sign_in_only
from tenants.jobs.outbox import outbox_enqueue

RESET_TASK = "tenants.password_reset_answer"
# A request whose job was lost (it raised, or never ran) is answered again after this long...
REDRIVE_AFTER = timedelta(minutes=5)
# ...and forgotten, unanswered, after this long: the person asks again.
FORGET_AFTER = timedelta(hours=1)


# How often one may ask (settings.PASSWORD_RESET_LIMITS): per address asked for, from one network
# address ("pair"), so that nobody elsewhere can use up the holder's asking; and how many mails one
# address receives ("mail"), whoever asks from wherever, so that nobody can bury a mailbox. Each
# link sent works until PASSWORD_RESET_TIMEOUT, so a holder whose address has had its share of
# mails uses one of those: asking again is never what stands between them and a new password.
ASKED = gettext_lazy(
    "You have already asked several times for a link for this email address. Look in its inbox and spam "
    "folder: each link sent works for %(valid)s. You can ask again in %(wait)s."
)
MAILED = gettext_lazy(
    "No new mail is sent now: this address has been sent several reset mails within %(window)s. If it "
    "belongs to an account, use the link in the latest of them: each works for %(valid)s. You can ask for "
    "another in %(wait)s."
)


def _limit(name: str) -> tuple[str, dict[str, str], float]:
    rate = ratelimit.parse_rate(f"{settings.PASSWORD_RESET_LIMITS[name]}/key")
    action = f"reset_password_{name}"
    return action, {action: f"{rate.amount}/{int(rate.duration)}s/key"}, rate.duration


def _refusal(request, name: str, key: str, text) -> str | None:
    """None when one more is admitted (and counted), else why not, with the time really left."""
    from tenants.identity.lockout import APP, rate_wait, wait_words

    action, config, window = _limit(name)
    if ratelimit.consume(request, app=APP, action=action, key=key, config=config):
        return None
    wait = rate_wait(request, action=action, config=config, key=key)
    return str(text) % {
        "wait": wait_words(wait),
        "window": wait_words(window),
        "valid": wait_words(settings.PASSWORD_RESET_TIMEOUT),
    }


def password_reset_asking_refusal(request, *, email: str) -> str | None:
    """Whether this network address may ask once more for a link for `email` (counted if so)."""
    return _refusal(request, "pair", f"{email}|{ratelimit.get_ip(request)}", ASKED)


def password_reset_mail_refusal(request, *, email: str) -> str | None:
    """Whether `email` may be sent one more reset mail (counted if so), the same for an address with
    or without an account."""
    return _refusal(request, "mail", email, MAILED)


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
            provider = provider_sign_in_only(user)
            if provider is not None:
                # No link: the account signs in through its country's provider; the mail says where.
                _provider_sign_in_mail(user, provider)
                continue
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


PROVIDER_SUBJECT = gettext_lazy("You sign in through your country's government sign-in")
PROVIDER_BODY = gettext_lazy(
    "Someone asked for a link to reset the password of your account on the Sovereign AI Onboarding Portal. "
    "Your account has no password: it signs in through %(country)s's government sign-in, %(name)s. Go to "
    "%(url)s and choose %(name)s. If you did not ask, you can ignore this mail."
)


def _provider_sign_in_mail(user, provider) -> None:
    from django.urls import reverse

    from tenants.identity.mails import portal_url
    from tenants.notifications.mail import mail_to_user

    url = portal_url(reverse("login"))
    country, name = provider.country, provider.name
    mail_to_user(
        user,
        subject=PROVIDER_SUBJECT,
        body=lambda: str(PROVIDER_BODY) % {"country": country.display_name, "name": name, "url": url},
        country=country,
    )


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
