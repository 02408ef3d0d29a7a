"""Who needs a second factor, whether this session has shown one, and how long it may stay idle.

A second factor is required of country admins, partner managers, auditors and platform admins,
and of everyone in a country that asks for it (Country.mfa_required). A session has shown one
when the person passed allauth's second-factor step. A country's provider whose own multi-factor
sign-in the country trusts (IdentityProvider.trust_provider_mfa) speaks for that country only: its
assertion stands for the second factor of the person's membership there, never for a platform
role (partner manager, auditor, platform admin) nor for a membership of another country, which
still need the portal's own step. The session guard, the sign-in step, the account page and a
token's check all ask `second_factor_required` with the country that vouched, so they agree."""

from __future__ import annotations

import time

from allauth.account.authentication import get_authentication_records
from allauth.mfa.models import Authenticator
from allauth.mfa.utils import is_mfa_enabled
from django.conf import settings

from tenants.access import Access
from tenants.models import Country, Membership

SECOND_FACTORS = [Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN]
PROVIDER_MFA_SESSION_KEY = "portal_provider_mfa"
# A provider's multi-factor assertion is used by the sign-in that follows it, within this time.
PROVIDER_MFA_WINDOW_SECONDS = 600


def second_factor_required(*, access: Access, vouched_country_id: int | None = None) -> bool:
    """Whether the person's roles need the portal's own second factor. `vouched_country_id`: the
    country whose trusted provider asserted a multi-factor sign-in; it covers the membership of
    that country only (its role and its country's rule), nothing else the person holds."""
    if access.user_id is None:
        return False
    if access.is_platform_admin or access.oversight_country_ids:
        return True
    countries = access.member_country_ids - {vouched_country_id}
    if any(access.memberships[cid].role == Membership.Role.COUNTRY_ADMIN for cid in countries):
        return True
    return bool(countries) and Country.objects.filter(pk__in=countries, mfa_required=True).exists()


def has_second_factor(user) -> bool:
    return is_mfa_enabled(user, SECOND_FACTORS)


def provider_mfa_remember(request, *, user_id: int | None, country_id: int | None) -> None:
    """Remember, for the sign-in in progress, which country's provider vouched for a second factor
    (None: none did)."""
    if country_id is not None and user_id is not None:
        request.session[PROVIDER_MFA_SESSION_KEY] = {"user": user_id, "country": country_id, "at": time.time()}
    else:
        request.session.pop(PROVIDER_MFA_SESSION_KEY, None)


def provider_mfa_country(request, user_id: int | None) -> int | None:
    """The country whose provider vouched for this session's sign-in of `user_id`, or None."""
    mark = request.session.get(PROVIDER_MFA_SESSION_KEY) or {}
    country = mark.get("country")
    if not user_id or mark.get("user") != user_id or not isinstance(country, int):
        return None
    return country


def provider_mfa_fresh(request, user_id: int | None) -> int | None:
    """As provider_mfa_country, for the sign-in that follows the provider's answer only."""
    mark = request.session.get(PROVIDER_MFA_SESSION_KEY) or {}
    if time.time() - float(mark.get("at", 0)) >= PROVIDER_MFA_WINDOW_SECONDS:
        return None
    return provider_mfa_country(request, user_id)


def portal_second_factor_shown(request) -> bool:
    # allauth's records of this session, only if they belong to the person signed in now.
    records = get_authentication_records(request, request.user)
    return any(record.get("method") == "mfa" for record in records)


def session_second_factor_owed(request, *, access: Access, has_factor: bool) -> bool:
    """Whether this session must still show the portal's own second factor: it has not, and either
    the person has one (a person who set one up shows it) or their roles need one, in both cases
    beyond what their country's provider vouched for."""
    if portal_second_factor_shown(request):
        return False
    vouched = provider_mfa_country(request, request.user.pk)
    if vouched is None and has_factor:
        return True
    return second_factor_required(access=access, vouched_country_id=vouched)


def idle_limit_seconds(*, access: Access) -> int:
    minutes = settings.SESSION_IDLE_MINUTES_PRIVILEGED if access.is_privileged else settings.SESSION_IDLE_MINUTES
    return int(minutes) * 60
