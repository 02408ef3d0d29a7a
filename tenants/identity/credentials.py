"""Checking a username, password and second factor for POST /api/v1/auth/token/: through
allauth's authentication, so that the API and the sign-in page count failures together (per account
from one address and per account from every address, with a cool-off; tenants.identity.lockout) and
a lockout is recorded once. A wrong code counts as a wrong password does."""

from __future__ import annotations

from allauth.account.adapter import get_adapter
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import exceptions

from tenants.access import access_for
from tenants.identity import lockout, policy

BAD_CREDENTIALS = gettext_lazy(
    "That username and password do not match an active account. Check both (they are case-sensitive) and try again."
)


class CoolingOff(exceptions.Throttled):
    def __init__(self, wait: int, detail: str):
        # Not Throttled's own: it adds "Expected available in N seconds." through ngettext on the
        # text already formatted, which no catalogue holds, so every reader got it in English.
        # The wait is in the message, in words (tenants.identity.lockout.wait_words); the
        # Retry-After header carries it in seconds.
        exceptions.APIException.__init__(self, detail=detail)
        self.wait = wait


class SecondFactorWrong(exceptions.APIException):
    # A plain 401 (AuthenticationFailed would become a 403 on a view that names no authentication).
    status_code = 401
    default_code = "second_factor_wrong"
    default_detail = gettext_lazy("The six-digit code is not right. Enter the code your authenticator app shows now.")


def token_credentials_check(request, *, username: str, password: str, otp: str | None):
    """The account these credentials prove, or the API error that says what is wrong."""
    adapter = get_adapter(request)
    try:
        user = adapter.authenticate(request, username=username, password=password)
    except ValidationError:
        wait = lockout.hold_remaining(request, username=username)
        raise CoolingOff(wait=max(1, wait), detail=lockout.held_message(request, username=username, api=True)) from None
    if user is None or not user.is_active:
        raise exceptions.ValidationError({"non_field_errors": [BAD_CREDENTIALS]})
    totp = Authenticator.objects.filter(user_id=user.pk, type=Authenticator.Type.TOTP).first()
    if totp is not None:
        if not otp:
            raise exceptions.ValidationError(
                {"otp": [_("This account has a second factor: send the current six-digit code as 'otp'.")]}
            )
        if not TOTP(totp).validate_code(otp.strip()):
            lockout.attempt_failed(request, username=username)
            raise SecondFactorWrong()
    elif policy.has_second_factor(user):
        raise exceptions.PermissionDenied(
            _(
                "This account signs in with a passkey, which the API cannot take. Create a personal access token on your account page."
            )
        )
    elif settings.SECOND_FACTOR_ENFORCED and policy.second_factor_required(access=access_for(user)):
        raise exceptions.PermissionDenied(
            _("Your role needs a second factor. Sign in in the browser and set one up first, then ask for a token.")
        )
    return user
