"""Signal receivers of the identity room: thin doors into its services.

Successful sign-ins go on the platform chain (an id, never a typed name or password). Failed ones
do not: they are counted by the rate limits, and a lockout is recorded once (tenants.identity.lockout).
A changed password, a removed or reset second factor and a deactivated account end the person's
other sessions and revoke their tokens (tenants.identity.revocation)."""

import time

from allauth.account.internal.flows.login import record_authentication
from allauth.account.signals import password_changed, password_reset, password_set
from allauth.mfa.signals import authenticator_added, authenticator_removed, authenticator_reset
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in
from django.db.models.signals import post_save
from django.utils import translation

from tenants.identity.middleware import LAST_SEEN_KEY
from tenants.identity.revocation import credentials_revoke
from tenants.languages.choice import language_for_user, language_keep
from tenants.record.ledger import platform_event_record


def _signed_in(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        request.session[LAST_SEEN_KEY] = time.time()
        # A language chosen with the switcher before signing in is the person's choice: kept on
        # their account when they have made none (their mails follow it too).
        if not request.path.startswith("/api/"):
            language_keep(user, request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME))
        # The rest of this request (the "signed in" message) speaks the person's language, not the
        # anonymous browser's that the request began in: the language of the next page.
        translation.activate(language_for_user(user))
        request.LANGUAGE_CODE = translation.get_language()
    platform_event_record(
        action="auth.signed_in",
        actor=user,
        target=user,
        payload={"via": "api-token" if request is not None and request.path.startswith("/api/") else "browser"},
    )


def _session_key(request) -> str | None:
    session = getattr(request, "session", None)
    return session.session_key if session is not None else None


def _password_changed(sender, request, user, **kwargs):
    credentials_revoke(user=user, reason="password_changed", keep_session_key=_session_key(request), by=user)


def _second_factor_changed(sender, request, user, **kwargs):
    credentials_revoke(user=user, reason="second_factor_changed", keep_session_key=_session_key(request), by=user)


def _second_factor_added(sender, request, user, authenticator, **kwargs):
    # Setting a factor up proves it: the session that did so need not show it again at once.
    if request is not None and getattr(request, "user", None) == user:
        record_authentication(request, user, method="mfa", type=authenticator.type, enrolled=True)


def _account_saved(sender, instance, created, **kwargs):
    if not created and not instance.is_active:
        credentials_revoke(user=instance, reason="deactivated")


def connect() -> None:
    user_logged_in.connect(_signed_in, dispatch_uid="tenants.signed_in")
    password_changed.connect(_password_changed, dispatch_uid="tenants.password_changed")
    password_set.connect(_password_changed, dispatch_uid="tenants.password_set")
    password_reset.connect(_password_changed, dispatch_uid="tenants.password_reset")
    authenticator_removed.connect(_second_factor_changed, dispatch_uid="tenants.authenticator_removed")
    authenticator_reset.connect(_second_factor_changed, dispatch_uid="tenants.authenticator_reset")
    authenticator_added.connect(_second_factor_added, dispatch_uid="tenants.authenticator_added")
    post_save.connect(_account_saved, sender=get_user_model(), dispatch_uid="tenants.account_saved")
