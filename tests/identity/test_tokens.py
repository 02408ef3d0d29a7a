"""Tokens: POST /api/v1/auth/token/ asks for the second factor of accounts that have one; personal
access tokens are made on the account page after the second factor, named, limited to countries
and to reading or read-write (on every request), at most 90 days, listed and revocable; a changed
password, a deactivated account and a reset second factor revoke them."""

from __future__ import annotations

import re

import pytest
from guardian.shortcuts import assign_perm

from tenants.access import PARTNER_PERMISSION, access_changed
from tenants.identity.models import ApiToken
from tenants.identity.tokens import api_token_issue
from tenants.isolation import country_context
from tenants.models import Membership
from tests.identity.helpers import give_totp, second_factor_shown, totp_code

pytestmark = pytest.mark.django_db
TOKEN = "/api/v1/auth/token/"


def issue(client, username, password, **extra):
    return client.post(TOKEN, {"username": username, "password": password, **extra}, content_type="application/json")


def test_an_account_with_a_second_factor_sends_its_code(client, cast):
    give_totp(cast.owner)
    missing = issue(client, "owner", cast.password)
    assert missing.status_code == 400 and "otp" in missing.json()["errors"]
    wrong = issue(client, "owner", cast.password, otp="000000" if totp_code() != "000000" else "111111")
    assert wrong.status_code == 401 and "six-digit code is not right" in wrong.json()["detail"]
    badly_formed = issue(client, "owner", cast.password, otp="12ab")
    assert badly_formed.status_code == 400
    right = issue(client, "owner", cast.password, otp=totp_code())
    assert right.status_code == 200 and right.json()["token"].startswith("pat_")
    # A code works once.
    assert issue(client, "owner", cast.password, otp=totp_code()).status_code == 401
    assert ApiToken.objects.filter(user=cast.owner).count() == 1


def test_a_privileged_role_without_a_second_factor_gets_no_token(client, cast, settings):
    settings.SECOND_FACTOR_ENFORCED = True
    response = issue(client, "owner", cast.password)
    assert response.status_code == 403 and "needs a second factor" in response.json()["detail"]
    assert issue(client, "member", cast.password).status_code == 200  # an officer needs none


def make_token(client, user, **form):
    client.force_login(user)
    second_factor_shown(client)
    data = {"name": "Usage report", "countries": [], "access": "read", "days": "30", **form}
    return client.post("/accounts/tokens/", data)


def bearer(raw: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def test_a_personal_token_reaches_only_its_countries_and_only_reads(client, cast):
    assign_perm(f"tenants.{PARTNER_PERMISSION}", cast.partner, cast.ke)  # the partner sees FR and KE
    response = make_token(client, cast.partner, countries=[cast.fr.pk], access="read")
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    raw = re.search(r'id="new-token">(pat_[^<]+)<', response.content.decode())[1]
    client.logout()
    listed = client.get("/api/v1/countries/", **bearer(raw)).json()["results"]
    assert [c["code"] for c in listed] == ["FR"]
    assert client.get("/api/v1/countries/KE/", **bearer(raw)).status_code == 404
    assert client.get("/api/v1/countries/FR/", **bearer(raw)).status_code == 200
    write = client.post(
        "/api/v1/countries/FR/organisations/",
        {"name": "X", "kind": "ministry"},
        content_type="application/json",
        **bearer(raw),
    )
    assert write.status_code == 403 and "read-only" in write.json()["detail"]


def test_a_personal_token_is_listed_and_revocable(client, cast):
    response = make_token(client, cast.owner, countries=[cast.fr.pk], access="write", name="Nightly sync")
    raw = re.search(r'id="new-token">(pat_[^<]+)<', response.content.decode())[1]
    token = ApiToken.objects.get(user=cast.owner, kind="personal")
    assert (token.name, token.country_ids, token.read_only) == ("Nightly sync", [cast.fr.pk], False)
    page = client.get("/accounts/tokens/").content.decode()
    assert "Nightly sync" in page and raw not in page  # shown once
    # The list links to a confirmation page; a POST without a reason revokes nothing.
    assert f'href="/accounts/tokens/{token.pk}/revoke/"' in page
    confirm = client.get(f"/accounts/tokens/{token.pk}/revoke/").content.decode()
    assert 'class="govuk-warning-text"' in confirm and "Yes, revoke the token" in confirm
    response = client.post(f"/accounts/tokens/{token.pk}/revoke/")
    assert response.status_code == 400 and "Say why: the reason goes on the record." in response.content.decode()
    assert ApiToken.objects.get(pk=token.pk).revoked_at is None
    response = client.post(f"/accounts/tokens/{token.pk}/revoke/", {"comment": "The sync job is retired."})
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None and token.revoke_reason == "The sync job is retired."
    assert client.get(f"/accounts/tokens/{token.pk}/revoke/").status_code == 404  # no longer live
    client.logout()
    assert client.get("/api/v1/countries/", **bearer(raw)).status_code == 401


@pytest.mark.parametrize(
    "form, message",
    [
        ({"days": "365"}, "Choose 7, 30 or 90 days."),
        ({"name": ""}, "Give the token a name"),
        ({"countries": []}, "Choose at least one country"),
        ({"access": "admin"}, "Choose whether the token may only read"),
    ],
)
def test_bad_token_input_is_explained_and_changes_nothing(client, cast, form, message):
    data = {"countries": [cast.fr.pk], **form}
    response = make_token(client, cast.owner, **data)
    assert response.status_code == 400 and message in response.content.decode()
    assert not ApiToken.objects.exists()


def test_a_country_outside_ones_access_is_refused(client, cast):
    response = make_token(client, cast.owner, countries=[cast.ke.pk])
    assert response.status_code == 400 and not ApiToken.objects.exists()


@pytest.mark.parametrize("who", ["owner", "member", "outsider"])
def test_one_cannot_revoke_someone_elses_token(client, cast, who):
    _raw, token = api_token_issue(user=cast.viewer)
    client.force_login(getattr(cast, who))
    assert client.post(f"/accounts/tokens/{token.pk}/revoke/", {"comment": "Mine now."}).status_code == 404
    assert client.get(f"/accounts/tokens/{token.pk}/revoke/").status_code == 404
    assert ApiToken.objects.get(pk=token.pk).revoked_at is None


def test_anonymous_visitors_are_sent_to_sign_in(client, cast):
    assert client.get("/accounts/tokens/")["Location"].startswith("/accounts/login/")
    assert client.get("/accounts/")["Location"].startswith("/accounts/login/")
    assert client.post("/accounts/tokens/1/revoke/")["Location"].startswith("/accounts/login/")


def test_the_token_page_needs_the_second_factor_first(client, cast, settings):
    settings.SECOND_FACTOR_ENFORCED = True
    give_totp(cast.member)
    client.force_login(cast.member)
    assert client.get("/accounts/tokens/")["Location"].startswith("/accounts/2fa/reauthenticate/")
    second_factor_shown(client)
    assert client.get("/accounts/tokens/").status_code == 200


def test_changing_the_password_revokes_tokens_and_other_sessions(client, cast):
    from django.test import Client

    _raw, token = api_token_issue(user=cast.member)
    other = Client()
    other.force_login(cast.member)
    client.force_login(cast.member)
    response = client.post(
        "/accounts/password/change/",
        {
            "oldpassword": cast.password,
            "password1": "a-new-long-password-2026",
            "password2": "a-new-long-password-2026",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert ApiToken.objects.get(pk=token.pk).revoked_at is not None
    assert client.get("/").status_code == 200  # this session stays
    assert other.get("/").status_code == 302  # the other one is over


def test_deactivating_an_account_revokes_its_tokens(cast):
    _raw, token = api_token_issue(user=cast.viewer)
    cast.viewer.is_active = False
    cast.viewer.save()
    assert ApiToken.objects.get(pk=token.pk).revoked_at is not None


def test_adding_email_addresses_is_not_offered(client, cast):
    client.force_login(cast.member)
    assert client.get("/accounts/email/").status_code == 404


def test_a_token_opens_the_api_only_never_pages_the_account_area_or_the_admin(client, cast):
    """A token is for /api/v1/ (DESIGN §8): with it alone, pages answer as to an anonymous visitor,
    so a short-lived token can neither mint a personal one nor reach the admin."""
    cast.owner.is_staff = cast.owner.is_superuser = True
    cast.owner.save()
    raw, _ = api_token_issue(user=cast.owner)
    assert client.get("/api/v1/countries/", **bearer(raw)).status_code == 200
    for path in ("/accounts/tokens/", "/admin/", "/admin/auth/user/", "/accounts/sessions/", "/c/fr/"):
        response = client.get(path, **bearer(raw))
        assert response.status_code == 302 and "login" in response["Location"], path
    tokens = ApiToken.objects.filter(user=cast.owner).count()
    client.post("/accounts/tokens/", {"name": "minted", "access": "write", "days": "90"}, **bearer(raw))
    assert ApiToken.objects.filter(user=cast.owner).count() == tokens


def test_a_token_stops_when_the_persons_role_comes_to_need_a_second_factor(client, cast, settings):
    settings.SECOND_FACTOR_ENFORCED = True
    raw, _ = api_token_issue(user=cast.member)  # an officer needs no second factor
    assert client.get("/api/v1/countries/FR/members/", **bearer(raw)).status_code == 200
    with country_context(cast.fr):
        Membership.objects.filter(user=cast.member).update(role="country_admin")
        access_changed(user_ids=[cast.member.pk])  # as the services do after a role change
    refused = client.get("/api/v1/countries/FR/members/", **bearer(raw))
    assert refused.status_code == 403 and "second factor" in refused.json()["detail"]
    give_totp(cast.member)
    assert client.get("/api/v1/countries/FR/members/", **bearer(raw)).status_code == 200


def test_a_tokens_refusals_are_written_in_the_persons_language(client, cast, settings):
    """Refused before the request takes the reader's language: in the token holder's own, whatever
    language the calling program's client asks for."""
    from tenants.languages.models import Preferences

    Preferences.objects.update_or_create(user=cast.member, defaults={"language": "fr"})
    raw, _ = api_token_issue(user=cast.member)
    ApiToken.objects.filter(user=cast.member).update(read_only=True)
    write = client.post(
        "/api/v1/countries/FR/organisations/",
        {"name": "X", "kind": "ministry"},
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="en",
        **bearer(raw),
    )
    assert write.status_code == 403
    assert write.json()["detail"].startswith("Ce jeton est en lecture seule"), write.json()
    settings.SECOND_FACTOR_ENFORCED = True
    with country_context(cast.fr):
        Membership.objects.filter(user=cast.member).update(role="country_admin")
        access_changed(user_ids=[cast.member.pk])
    refused = client.get("/api/v1/countries/FR/members/", HTTP_ACCEPT_LANGUAGE="en", **bearer(raw))
    assert refused.status_code == 403
    assert refused.json()["detail"].startswith("Votre rôle exige désormais un second facteur"), refused.json()


def test_the_new_token_page_shows_the_header_to_send_with_no_raw_markup(client, cast):
    response = make_token(client, cast.member, countries=[cast.fr.pk])
    html = response.content.decode()
    raw = re.search(r'id="new-token">(pat_[^<]+)<', html)[1]
    assert "<token>" not in html  # a raw tag the browser would hide, leaving "Bearer " alone
    assert f"<code>Authorization: Bearer {raw}</code>" in html
