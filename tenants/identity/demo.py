"""The demo's identities (DESIGN §8), only with DEBUG on: a TOTP device with DEMO_TOTP_SECRET for
each demo account whose role needs a second factor, and, when `make run` started the stand-in
provider (DEMO_OIDC_ISSUER), France's government sign-in through it, with olivier's account
linked to his identity there and just-in-time accounts for the rest of interieur.demo.invalid."""

from __future__ import annotations

import os
from collections.abc import Callable

from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from allauth.socialaccount.models import SocialAccount
from django.conf import settings
from django.contrib.auth import get_user_model

from tenants.access import Access
from tenants.identity.providers import identity_provider_save
from tenants.isolation import country_context
from tenants.models import Country, Organisation

# Demo accounts whose role needs a second factor: country admins, partner managers, the auditor, the admin.
SECOND_FACTOR_ACCOUNTS = ("amelie", "wanjiku", "kadri", "lucas", "priya", "marcus", "aude", "admin")
DEMO_CLIENT_ID = "portal-demo-fr"
# The stand-in provider's people (its subject is its position here, from 1): olivier is linked to
# his portal account; claire gets one just in time.
DEMO_PROVIDER_PEOPLE = [
    {"username": "olivier", "email": "olivier@demo.portal.invalid", "given_name": "Olivier", "family_name": "Moreau"},
    {
        "username": "claire",
        "email": "claire.martin@interieur.demo.invalid",
        "given_name": "Claire",
        "family_name": "Martin",
        "organisation": "DINUM",
        "role": "agent",
    },
]


def seed(*, countries: dict[str, Country], say: Callable[[str], None] = print) -> None:
    if not settings.DEBUG:
        return  # never in production mode (DESIGN §8)
    User = get_user_model()
    for user in User.objects.filter(username__in=SECOND_FACTOR_ACCOUNTS):
        if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
            TOTP.activate(user, settings.DEMO_TOTP_SECRET)
            say(f"  second factor (TOTP, DEMO_TOTP_SECRET) for {user.username}")
    issuer, secret = os.environ.get("DEMO_OIDC_ISSUER", ""), os.environ.get("DEMO_OIDC_CLIENT_SECRET", "")
    if not issuer or not secret:
        return
    france = countries["FR"]
    admin = User.objects.get(username="admin")
    with country_context(france):
        dinum = Organisation.objects.get(acronym="DINUM")
    identity_provider_save(
        country=france,
        by=admin,
        access=Access(user_id=admin.pk, is_platform_admin=True),
        client_secret=secret,
        data={
            "name": "ProConnect (demo)",
            "issuer": issuer,
            "client_id": DEMO_CLIENT_ID,
            "allowed_domains": ["demo.portal.invalid", "interieur.demo.invalid"],
            "organisation_claim": "organisation",
            "organisation_map": {"DINUM": dinum.pk},
            "role_claim": "role",
            "role_map": {"agent": "officer"},
            "default_organisation": dinum,
            "default_role": "viewer",
            "jit_enabled": True,
            "trust_provider_mfa": False,
            "enabled": True,
        },
    )
    olivier = User.objects.get(username="olivier")
    SocialAccount.objects.get_or_create(provider="gov-fr", uid="1", defaults={"user": olivier})
    say(f"  France's government sign-in through the stand-in provider at {issuer}")
