"""allauth's adapters, where the portal's rules meet its flows: sign-up closed, mail through the
outbox, lockouts recorded once, the second-factor step, and each country's identity provider
listed from its row and held to its country."""

from __future__ import annotations

import logging

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from django.conf import settings
from django.core.exceptions import ValidationError
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tenants.access import access_for
from tenants.identity import lockout, mails, providers, sso
from tenants.identity.policy import provider_mfa_remember

log = logging.getLogger(__name__)


class AccountAdapter(DefaultAccountAdapter):
    error_messages = {
        **DefaultAccountAdapter.error_messages,
        "username_password_mismatch": gettext_lazy("Enter a correct username and password. Both are case-sensitive."),
        # Said with the time really left where the portal refuses (tenants.identity.lockout.held_message).
        "too_many_login_attempts": gettext_lazy(
            "Too many failed sign-in attempts for this account or from this address. Wait a few minutes and try "
            "again, or reset your password."
        ),
    }

    def is_open_for_signup(self, request) -> bool:
        # Accounts come from invitations and from countries' providers, never from a sign-up page.
        return False

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        """allauth's mails (password reset) go through the outbox like every other mail: written
        with the change, sent by a worker, wiped once sent. Nothing is sent inside the request.
        They name the portal and link to its own address (tenants.identity.mails)."""
        mails.allauth_mail_write(template_prefix, to=email, context=context, user=context.get("user"))

    def get_reset_password_from_key_url(self, key: str) -> str:
        # The portal's address, as every other mail's links: never the Host header of the request.
        return mails.password_reset_url(key)

    def format_email_subject(self, subject: str) -> str:
        return subject

    def pre_authenticate(self, request, **credentials) -> None:
        # Not allauth's per-key and per-address count: an address's failures for other accounts, or
        # an account's failures from other addresses, must not refuse its owner (tenants.identity.lockout).
        # allauth's authenticate() rolls this usage back when the password is right.
        username = str(credentials.get("username", ""))
        self._login_failed_rl_usage = lockout.attempt_allowed(request, username=username)
        if not self._login_failed_rl_usage:
            raise ValidationError(lockout.held_message(request, username=username), code="too_many_login_attempts")

    def get_login_stages(self) -> list[str]:
        return [
            "tenants.identity.stages.SecondFactorStage" if stage == "allauth.mfa.stages.AuthenticateStage" else stage
            for stage in super().get_login_stages()
        ]


def _refuse(request, message: str):
    log.info("Single sign-on refused: %s", message)
    raise ImmediateHttpResponse(render(request, "account/sso_refused.html", {"message": message}, status=403))


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def get_requests_session(self):
        """allauth's session for a country's provider (discovery, token, keys), held to the
        addresses a country's server may have."""
        session = super().get_requests_session()
        from tenants.identity.outbound import CountryNetworksOnly

        guarded = CountryNetworksOnly()
        session.mount("https://", guarded)
        session.mount("http://", guarded)
        return session

    def list_apps(self, request, provider=None, client_id=None):
        rows = providers.identity_provider_list_enabled()
        apps = []
        for row in rows:
            if provider not in (None, providers.PROVIDER_CLASS_ID, row.provider_id):
                continue
            if client_id is not None and row.client_id != client_id:
                continue
            apps.append(providers.social_app_for(row))
        return apps

    def is_open_for_signup(self, request, sociallogin) -> bool:
        provider = self._row(sociallogin)
        return bool(provider and provider.jit_enabled)

    def is_auto_signup_allowed(self, request, sociallogin) -> bool:
        return True

    def _row(self, sociallogin):
        return providers.identity_provider_by_provider_id(sociallogin.account.provider)

    def pre_social_login(self, request, sociallogin) -> None:
        """A country's provider signs people into that country only, and never takes over an
        account by asserting its address: see tenants.identity.sso for each rule."""
        provider = self._row(sociallogin)
        if provider is None:
            _refuse(request, _("This sign-in service is not available any more."))
        claims = sso.claims_of(sociallogin)
        process = (sociallogin.state or {}).get("process")
        connecting_user = request.user if process == "connect" and request.user.is_authenticated else None
        refusal = sso.sso_refusal(
            provider=provider,
            claims=claims,
            existing_user=sociallogin.user if sociallogin.is_existing else None,
            connecting_user=connecting_user,
            access_of=access_for,
        )
        if refusal:
            _refuse(request, refusal)
        user_id = sociallogin.user.pk if sociallogin.is_existing else (connecting_user.pk if connecting_user else None)
        provider_mfa_remember(request, user_id=user_id, country_id=sso.provider_mfa_country(provider, claims))

    def populate_user(self, request, sociallogin, data):
        user = super().populate_user(request, sociallogin, data)
        user.email = (user.email or "").lower()
        return user

    def save_user(self, request, sociallogin, form=None):
        """A just-in-time account: created with its membership of the provider's country, in the
        organisation and role the country's mapping gives, on the record."""
        provider = self._row(sociallogin)
        user = super().save_user(request, sociallogin, form)
        sso.sso_member_join(
            provider=provider,
            user=user,
            claims=sso.claims_of(sociallogin),
            language=request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME),
        )
        provider_mfa_remember(
            request, user_id=user.pk, country_id=sso.provider_mfa_country(provider, sso.claims_of(sociallogin))
        )
        return user
