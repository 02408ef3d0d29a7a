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

from tenants.access import Access, cache_for_person, cached_for_person, memberships_of
from tenants.identity.models import IdentityProvider
from tenants.isolation import reading_context
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


def _role_there(user_id: int, country_id: int) -> str:
    membership = memberships_of(user_id).get(country_id)
    return membership.role if membership is not None and membership.status == Membership.Status.ACTIVE else ""


def provider_mfa_remember(request, *, user_id: int | None, country_id: int | None) -> None:
    """Remember, for the sign-in in progress, which country's provider vouched for a second factor
    (None: none did), and the role the person held there then: the vouching covers that role, not
    one they are given later."""
    if country_id is not None and user_id is not None:
        request.session[PROVIDER_MFA_SESSION_KEY] = {
            "user": user_id,
            "country": country_id,
            "role": _role_there(user_id, country_id),
            "at": time.time(),
        }
    else:
        request.session.pop(PROVIDER_MFA_SESSION_KEY, None)


def provider_vouching_since(*, country_id: int, user_id: int) -> float | None:
    """Since when (a Unix time) the country's provider's multi-factor sign-in has been trusted
    without a break, or None when it is not trusted today (provider absent, off, or not trusted).
    Cached per person as their access is: any change of a provider makes it stale at once
    (tenants.access_signals), so a country that stops trusting it is heard on the next request."""
    key = f"portal:provider-vouching-since:{user_id}:{country_id}"
    since = cached_for_person(key)
    if since is None:
        with reading_context(country_id):
            at = (
                IdentityProvider.objects.filter(country_id=country_id, enabled=True, trust_provider_mfa=True)
                .values_list("vouching_since", flat=True)
                .first()
            )
        since = at.timestamp() if at is not None else -1.0
        cache_for_person(key, since, user_id=user_id)
    return since if since >= 0 else None


def vouch_standing(*, access: Access, country_id: int | None, role: str | None, at: float) -> int | None:
    """`country_id` if its provider's vouching (given at `at`, when the person held `role` there)
    still stands, else None: not once the country stops trusting its provider's multi-factor sign-in
    (or turns the provider off, or removes it), nor after any change that withdrew that trust since
    `at` (an acr value taken away, another issuer, trust turned off and on again), nor once the
    person has become a country admin there since, a role the provider did not vouch for. Then the
    portal's own second factor is asked."""
    if country_id is None or access.user_id is None:
        return None
    since = provider_vouching_since(country_id=country_id, user_id=access.user_id)
    if since is None or at < since:
        return None
    admin = Membership.Role.COUNTRY_ADMIN
    if access.role_in(country_id) == admin and role != admin:
        return None
    return country_id


def provider_mfa_vouch(request, user_id: int | None) -> tuple[int, str, float] | None:
    """(country, role then, when) of the provider's vouching for this session's sign-in of
    `user_id`, as remembered, whether or not it still stands (vouch_standing), or None."""
    mark = request.session.get(PROVIDER_MFA_SESSION_KEY) or {}
    country = mark.get("country")
    if not user_id or mark.get("user") != user_id or not isinstance(country, int):
        return None
    try:
        at = float(mark.get("at", 0))
    except (TypeError, ValueError):
        at = 0.0
    return country, str(mark.get("role") or ""), at


def provider_mfa_country(request, access: Access) -> int | None:
    """The country whose provider vouched for this session's sign-in of the person, if that still
    stands. A vouching that no longer does is forgotten by the session: it is not given back."""
    vouch = provider_mfa_vouch(request, access.user_id)
    if vouch is None:
        return None
    standing = vouch_standing(access=access, country_id=vouch[0], role=vouch[1], at=vouch[2])
    if standing is None:
        request.session.pop(PROVIDER_MFA_SESSION_KEY, None)
    return standing


def provider_mfa_fresh(request, access: Access) -> int | None:
    """As provider_mfa_country, for the sign-in that follows the provider's answer only."""
    mark = request.session.get(PROVIDER_MFA_SESSION_KEY) or {}
    if time.time() - float(mark.get("at", 0)) >= PROVIDER_MFA_WINDOW_SECONDS:
        return None
    return provider_mfa_country(request, access)


def token_vouch(request, access: Access) -> tuple[int | None, str]:
    """What a personal token made in this session stands on: (the country whose provider's vouching
    stands for the session, the role held there when it vouched), or (None, "") when the session
    showed the portal's own second factor or no provider vouched."""
    if portal_second_factor_shown(request):
        return None, ""
    country = provider_mfa_country(request, access)
    vouch = provider_mfa_vouch(request, access.user_id) if country is not None else None
    return (country, vouch[1]) if vouch is not None else (None, "")


def token_second_factor_owed(*, access: Access, user, token) -> bool:
    """Whether a bearer token opens nothing until the portal's own second factor is dealt with.
    A token made in a session that a provider vouched for stands on that vouching: once the person
    needs a second factor beyond what still stands, it stops, whether or not they have one (it was
    never shown for it), and a new token is made after the portal's own step. Any other token
    stops while the person's roles need a second factor they do not have."""
    if token.vouched_country_id is not None:
        # The token was made after the session's vouching, within it: vouching ended by a change
        # since the token was made ends the token's too.
        at = token.created_at.timestamp()
        standing = vouch_standing(access=access, country_id=token.vouched_country_id, role=token.vouched_role, at=at)
        return second_factor_required(access=access, vouched_country_id=standing)
    return second_factor_required(access=access) and not has_second_factor(user)


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
    vouched = provider_mfa_country(request, access)
    if vouched is None and has_factor:
        return True
    return second_factor_required(access=access, vouched_country_id=vouched)


def idle_limit_seconds(*, access: Access) -> int:
    minutes = settings.SESSION_IDLE_MINUTES_PRIVILEGED if access.is_privileged else settings.SESSION_IDLE_MINUTES
    return int(minutes) * 60
