"""allauth's second-factor step at sign-in, skipped only where the country trusts its provider's
own multi-factor sign-in, the provider said, for this very sign-in, that it used one, and nothing
else the person holds needs the portal's own step (a provider speaks for its country only)."""

from __future__ import annotations

from allauth.mfa.base.forms import AuthenticateForm, ReauthenticateForm
from allauth.mfa.stages import AuthenticateStage
from allauth.mfa.webauthn.forms import AuthenticateWebAuthnForm, ReauthenticateWebAuthnForm

from tenants.access import access_for
from tenants.forms import NamedRequiredErrors
from tenants.identity import lockout
from tenants.identity.policy import provider_mfa_fresh, second_factor_required


class SecondFactorStage(AuthenticateStage):
    def _should_handle(self, request) -> bool:
        user = self.login.user
        access = access_for(user) if user is not None else None
        vouched = provider_mfa_fresh(request, access) if access is not None else None
        if vouched is not None and not second_factor_required(access=access, vouched_country_id=vouched):
            return False
        return super()._should_handle(request)


def _code_checked(form, check):
    """A second-factor code or a passkey's answer, counted as a wrong password is
    (tenants.identity.lockout): per account from this address, per account from everywhere, and the
    failures of the address; a right one costs nothing."""
    from allauth.core import context
    from django.core.exceptions import ValidationError

    request = context.request
    username = form.user.get_username()
    usage = lockout.attempt_allowed(request, username=username)
    if not usage:
        raise ValidationError(lockout.held_message(request, username=username), code="too_many_login_attempts")
    code = check()  # a wrong code (or a passkey's wrong answer) raises, and stays counted
    usage.rollback()
    return code


class SecondFactorForm(NamedRequiredErrors, AuthenticateForm):
    def clean_code(self) -> str:
        return _code_checked(self, super().clean_code)


class SecondFactorAgainForm(NamedRequiredErrors, ReauthenticateForm):
    def clean_code(self) -> str:
        return _code_checked(self, super().clean_code)


class SecondFactorPasskeyForm(NamedRequiredErrors, AuthenticateWebAuthnForm):
    """The passkey at the second-factor step: its wrong answers count as wrong codes do."""

    def clean_credential(self):
        return _code_checked(self, super().clean_credential)


class SecondFactorPasskeyAgainForm(NamedRequiredErrors, ReauthenticateWebAuthnForm):
    """The passkey asked again before a sensitive change: counted the same way."""

    def clean_credential(self):
        return _code_checked(self, super().clean_credential)
