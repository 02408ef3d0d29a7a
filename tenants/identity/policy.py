"""Who needs a second factor, whether this session has shown one, and how long it may stay idle.

A second factor is required of country admins, partner managers, auditors and platform admins,
and of everyone in a country that asks for it (Country.mfa_required). A session has shown one
when the person passed allauth's second-factor step, or signed in through their country's
provider whose own multi-factor sign-in the country trusts (IdentityProvider.trust_provider_mfa)."""

from __future__ import annotations

import time

from allauth.account.authentication import get_authentication_records
from allauth.mfa.models import Authenticator
from allauth.mfa.utils import is_mfa_enabled
from django.conf import settings

from tenants.access import Access
from tenants.models import Country

SECOND_FACTORS = [Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN]
PROVIDER_MFA_SESSION_KEY = "portal_provider_mfa"
# A provider's multi-factor assertion is used by the sign-in that follows it, within this time.
PROVIDER_MFA_WINDOW_SECONDS = 600


def second_factor_required(*, access: Access) -> bool:
    if access.user_id is None:
        return False
    if access.is_privileged:
        return True
    countries = access.member_country_ids
    return bool(countries) and Country.objects.filter(pk__in=countries, mfa_required=True).exists()


def has_second_factor(user) -> bool:
    return is_mfa_enabled(user, SECOND_FACTORS)


def provider_mfa_remember(request, *, user_id: int | None, asserted: bool) -> None:
    """Remember, for the sign-in in progress, whether the country's provider vouched for a second factor."""
    if asserted and user_id is not None:
        request.session[PROVIDER_MFA_SESSION_KEY] = {"user": user_id, "at": time.time()}
    else:
        request.session.pop(PROVIDER_MFA_SESSION_KEY, None)


def provider_mfa_vouched(request, user_id: int | None) -> bool:
    mark = request.session.get(PROVIDER_MFA_SESSION_KEY) or {}
    return bool(user_id) and mark.get("user") == user_id


def provider_mfa_fresh(request, user_id: int | None) -> bool:
    mark = request.session.get(PROVIDER_MFA_SESSION_KEY) or {}
    return (
        provider_mfa_vouched(request, user_id) and time.time() - float(mark.get("at", 0)) < PROVIDER_MFA_WINDOW_SECONDS
    )


def session_second_factor_done(request) -> bool:
    # allauth's records of this session, only if they belong to the person signed in now.
    records = get_authentication_records(request, request.user)
    if any(record.get("method") == "mfa" for record in records):
        return True
    return provider_mfa_vouched(request, request.user.pk)


def idle_limit_seconds(*, access: Access) -> int:
    minutes = settings.SESSION_IDLE_MINUTES_PRIVILEGED if access.is_privileged else settings.SESSION_IDLE_MINUTES
    return int(minutes) * 60
