"""Browser journeys in headless Chromium: an officer signs in through France's provider (the real
stand-in provider's pages), a partner manager signs in with a password and an authenticator code,
and a country admin registers a passkey and signs in with it (Chromium's virtual authenticator)."""

from __future__ import annotations

import re

import pytest
from allauth.mfa.models import Authenticator
from django.contrib.auth import get_user_model

from tenants.access import access_for
from tests.identity.conftest import PASSWORD as PROVIDER_PASSWORD
from tests.identity.conftest import france_provider
from tests.identity.helpers import give_totp, totp_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def enforced(settings):
    settings.SECOND_FACTOR_ENFORCED = True


def password_sign_in(page, username: str, password: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name=re.compile("^sign in$", re.I)).click()


def test_an_officer_signs_in_through_frances_provider(page, cast, oidc_provider, enforced):
    france_provider(cast, oidc_provider.issuer)
    page.goto("/accounts/login/")
    page.get_by_label("Or choose your country").select_option("FR")
    page.get_by_role("button", name="Continue to your government sign-in").click()
    page.wait_for_url(re.compile(r"^http://127\.0\.0\.1:\d+/accounts/login/"))  # the provider's own page
    page.get_by_label("Username").fill("claire")
    page.get_by_label("Password").fill(PROVIDER_PASSWORD)
    page.get_by_role("button", name="Sign in to the government account").click()
    page.wait_for_url(re.compile(r"^http://localhost:\d+/(c/fr/?)?$"))
    assert "Claire Martin" in page.locator("header").inner_text()
    user = get_user_model().objects.get(email="claire.martin@interieur.gouv.fr")
    assert access_for(user).role_in(cast.fr.pk) == "officer"
    page.goto("/c/fr/organisations/")
    assert "Ministère du Numérique" in page.locator("main").inner_text()


def test_a_partner_manager_signs_in_with_a_password_and_an_authenticator_code(page, cast, enforced):
    give_totp(cast.partner)
    password_sign_in(page, "partner", cast.password)
    page.wait_for_url(re.compile(r"/accounts/2fa/authenticate/"))
    page.get_by_label("Code", exact=True).fill(totp_code())
    page.get_by_role("button", name=re.compile("^sign in$", re.I)).click()
    page.wait_for_url(re.compile(r"^http://localhost:\d+/(review/)?$"))
    page.goto("/review/")
    assert page.locator("h1").first.inner_text()
    assert "Paula Partner" in page.locator("header").inner_text()


def test_a_country_admin_registers_a_passkey_and_signs_in_with_it(page, cast, enforced):
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    password_sign_in(page, "owner", cast.password)
    # Enrolment is the first thing a country admin sees.
    page.wait_for_url(re.compile(r"/accounts/2fa/"))
    page.goto("/accounts/2fa/webauthn/add/")
    if "/reauthenticate/" in page.url:
        page.get_by_label("Password").fill(cast.password)
        page.get_by_role("button", name=re.compile("confirm", re.I)).click()
        page.wait_for_url(re.compile(r"^[^?]*/accounts/2fa/webauthn/add/$"))  # not ?next=… of the form
    page.get_by_label("Name").fill("Laptop passkey")
    page.get_by_role("button", name="Add").click()
    # Anchored: the add page's own address (…/webauthn/add/) must not count as arrived.
    page.wait_for_url(re.compile(r"/accounts/2fa/(recovery-codes/|webauthn/)$"))
    assert Authenticator.objects.filter(user=cast.owner, type="webauthn").count() == 1
    page.goto("/c/fr/")
    assert page.url.endswith("/c/fr/")  # the portal opens once a factor is set up
    # Sign out, and in again: the password, then the passkey.
    page.get_by_role("button", name="Sign out").click()
    password_sign_in(page, "owner", cast.password)
    page.wait_for_url(re.compile(r"/accounts/2fa/authenticate/"))
    page.get_by_role("button", name="Use a security key").click()
    page.wait_for_url(re.compile(r"^http://localhost:\d+/(c/fr/?)?$"))
    page.goto("/c/fr/members/")
    assert "Members" in page.locator("main").inner_text() or "People" in page.locator("main").inner_text()
