"""The rules of single sign-on through a country's identity provider.

- It signs people into its own country only: an account it signs into must be an active member of
  that country (not one it merely oversees), whichever account the provider's identity is linked to.
- It never takes over an account by asserting its address: an identity it has not signed in before
  whose address belongs to an account is refused; the person signs in to that account first and
  connects the provider from their account page (a link made while they are signed in). An account
  that only holds another country's invitation, not taken up yet, is that country's: the provider
  leaves it alone and, with just-in-time accounts on, makes the person an account of its own, so
  that the country learns nothing of the invitation and the invitation still works.
- An account a country's provider signs in to is that country's word about who the person is,
  which no other country relies on: it holds memberships of that country only. The provider is not
  connected to an account that belongs to, or is invited to, another country, nor signs in to one
  that has come to belong to another; another country's invitation to its address comes with an
  account of its own (tenants.services.member_invite), taken up through the link; and an account
  another country's provider signs in to does not stand in the way of this one's sign-in.
- Only verified addresses in the provider's allowed domains, and just-in-time accounts only if the
  country turned them on, placed by the country's claim mapping (membership roles only)."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils.translation import gettext as _

from tenants.access import memberships_of
from tenants.identity.models import IdentityProvider
from tenants.identity.providers import (
    email_domain_allowed,
    identity_provider_for_code,
    placement_for,
    provider_country_codes,
)
from tenants.isolation import country_context
from tenants.languages.choice import language_keep
from tenants.models import Country, Membership
from tenants.record.ledger import event_record

MULTI_FACTOR_AMR = "mfa"


def claims_of(sociallogin) -> dict:
    """The ID token's claims, completed by the userinfo answer (the ID token's own amr, acr and
    nonce are kept: they describe this sign-in)."""
    data = sociallogin.account.extra_data or {}
    id_token = data.get("id_token") or {}
    userinfo = data.get("userinfo") or {}
    merged = {**id_token, **userinfo}
    for key in ("amr", "acr", "nonce", "aud", "iss"):
        if key in id_token:
            merged[key] = id_token[key]
    return merged


def _verified(claims: dict) -> bool:
    value = claims.get("email_verified")
    return value is True or str(value).lower() == "true"


def invitation_placeholder(user) -> bool:
    """An account an invitation made and nobody has taken up yet: inactive, never signed in to, no
    password. It is the inviting country's until its link is used: a country's provider neither
    signs into it nor takes it over by asserting its address, and is not stopped by it."""
    return not user.is_active and user.last_login is None and not user.has_usable_password()


def provider_sign_in_only(user) -> IdentityProvider | None:
    """The country's provider this account signs in through and only through, or None. An account a
    provider made, just in time, has no password of its own: its country vouches for the person
    through its provider, and a password set by a mailed link would be a second way in that the
    country never chose. While that provider is on, a password reset, a reset link sent before, or
    the page for setting a password give the account none; once the country turns its provider off
    or removes it, its people may choose a password, so that none is left without a way in."""
    if user is None or user.pk is None or user.has_usable_password():
        return None
    for code in sorted(provider_country_codes(user.pk)):
        provider = identity_provider_for_code(code)
        if provider is not None:
            return provider
    return None


def provider_sign_in_only_message(provider: IdentityProvider) -> str:
    return _(
        "This account signs in through %(country)s's government sign-in, %(name)s: it has no password of its "
        "own, and none can be set for it. On the sign-in page, choose %(name)s."
    ) % {"country": provider.country.display_name, "name": provider.name}


def foreign_provider_signs_in(user_id: int | None, country: Country) -> bool:
    """Whether a provider of a country other than `country` signs in to this account."""
    return bool(provider_country_codes(user_id) - {country.code})


def _in_the_way(account, country: Country) -> bool:
    """Whether an account of the address stops a new identity of `country`'s provider. An invitation
    placeholder does not (it is the inviting country's), nor an account another country's provider
    signs in to that holds nothing of this country (it is that country's, and stays apart)."""
    if invitation_placeholder(account):
        return False
    codes = provider_country_codes(account.pk)
    if codes and country.code not in codes and country.pk not in memberships_of(account.pk):
        return False
    return True


def provider_mfa_country(provider: IdentityProvider | None, claims: dict) -> int | None:
    """The country this sign-in's multi-factor assertion vouches for (the provider's own, if it
    trusts the provider's multi-factor sign-in and the provider asserted one), or None."""
    if provider is None or not provider.trust_provider_mfa:
        return None
    amr = claims.get("amr") or []
    if isinstance(amr, str):
        amr = [amr]
    acr = claims.get("acr")
    if MULTI_FACTOR_AMR in amr or (bool(acr) and acr in (provider.mfa_acr_values or [])):
        return provider.country_id
    return None


def sso_refusal(*, provider: IdentityProvider, claims: dict, existing_user, connecting_user, access_of) -> str | None:
    """Why this sign-in must not go on, in words for the person, or None."""
    country, name = provider.country, provider.name
    email = str(claims.get("email") or "").strip().lower()
    if not email:
        return _("%(name)s did not tell the portal your email address, so it cannot sign you in.") % {"name": name}
    if not _verified(claims):
        return _("%(name)s has not verified your email address. Verify it there, then try again.") % {"name": name}
    if not email_domain_allowed(provider, email):
        return _(
            "Addresses in %(domain)s cannot sign in to %(country)s with %(name)s. Use the account your country admin gave you."
        ) % {"domain": email.rpartition("@")[2], "country": country.display_name, "name": name}
    if connecting_user is not None:
        if country.pk not in access_of(connecting_user).member_country_ids:
            return _("%(name)s can be connected only to an account that is a member of %(country)s.") % {
                "name": name,
                "country": country.display_name,
            }
        if set(memberships_of(connecting_user.pk)) - {country.pk}:
            # Pending invitations count: one taken up later would be held under this provider's word.
            return _(
                "%(name)s can be connected only to an account of %(country)s alone. This one also belongs to, "
                "or is invited to, another country, which does not rely on %(name)s: keep signing in with "
                "your password."
            ) % {"name": name, "country": country.display_name}
        return None
    if existing_user is not None:
        if not existing_user.is_active or country.pk not in access_of(existing_user).member_country_ids:
            return _(
                "This account is not a member of %(country)s, so %(name)s cannot sign you in to it. "
                "Ask %(country)s's country admin, or sign in with your password."
            ) % {"country": country.display_name, "name": name}
        if access_of(existing_user).member_country_ids - {country.pk}:
            return _(
                "This account also belongs to another country, which does not rely on %(name)s to sign you in. "
                "Sign in with your username and password (if you have none yet, choose one with "
                "“Forgotten your password?”)."
            ) % {"name": name}
        return None
    invited_here = False
    for account in get_user_model().objects.filter(email__iexact=email).order_by("pk"):
        if _in_the_way(account, country):
            return _(
                "An account with your address exists already. To use %(name)s with it, sign in with your "
                "password first, then connect %(name)s on your account page."
            ) % {"name": name}
        # Another country's invitation, or an account another country's provider signs in to, is
        # none of this provider's business: it neither stops the sign-in nor is taken over by it (a
        # just-in-time account of its own is made below).
        invited_here = invited_here or country.pk in memberships_of(account.pk)
    if invited_here:
        return _(
            "%(country)s has invited you: open the link in the invitation mail to set up your account, then "
            "connect %(name)s on your account page."
        ) % {"country": country.display_name, "name": name}
    if not provider.jit_enabled:
        return _("You have not been added to %(country)s yet. Ask your country admin to invite you.") % {
            "country": country.display_name
        }
    organisation, _role = placement_for(provider, claims)
    if organisation is None:
        return _("%(country)s has not said which organisation new accounts join. Ask your country admin.") % {
            "country": country.display_name
        }
    return None


@transaction.atomic
def sso_member_join(*, provider: IdentityProvider, user, claims: dict, language: str | None = None) -> Membership:
    """The membership of a just-in-time account, in the provider's country, on its record.
    `language`: one the person chose with the switcher before this first sign-in, kept as theirs."""
    organisation, role = placement_for(provider, claims)
    language_keep(user, language)
    with country_context(provider.country_id):
        membership = Membership.objects.create(
            country_id=provider.country_id,
            user=user,
            organisation=organisation,
            role=role,
            status=Membership.Status.ACTIVE,
        )
        event_record(
            country=provider.country,
            action="member.joined_by_sso",
            actor=user,
            actor_role=role,
            target=membership,
            payload={"role": role, "organisation": organisation.pk, "provider": provider.pk},
        )
    return membership
