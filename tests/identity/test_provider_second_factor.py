"""A country's provider vouches for the second factor of that country's membership only: a person
who also holds a platform role (partner manager, auditor, platform admin) or a membership of
another country that asks for a second factor still shows the portal's own, at sign-in, on every
page and with every token; a plain member of the provider's country does not. And a vouching
stands only while it is true: once the country stops trusting its provider's, or the person is
made a country admin there, the session and the tokens made in it ask for the portal's own."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from guardian.shortcuts import assign_perm

from tenants import services
from tenants.access import AUDITOR_PERMISSION, AUDITORS_GROUP, access_changed, access_for
from tenants.isolation import country_context
from tenants.models import Membership
from tests.identity.conftest import france_provider, sso
from tests.identity.helpers import give_totp, second_factor_shown

pytestmark = pytest.mark.django_db
User = get_user_model()


@pytest.fixture
def enforced(settings):
    settings.SECOND_FACTOR_ENFORCED = True


def chef_signs_in(client, cast, oidc_provider, **provider):
    """`chef` signs in through France's provider, which says it used a second factor (amr mfa)."""
    france_provider(cast, oidc_provider.issuer, trust_provider_mfa=True, **provider)
    response, _ = sso(client, "chef")
    assert response.status_code == 302, response.content.decode()[:1000]
    return User.objects.get(email="chef@interieur.gouv.fr"), response


def auditor_of(country, user) -> None:
    user.groups.add(Group.objects.get_or_create(name=AUDITORS_GROUP)[0])
    assign_perm(f"tenants.{AUDITOR_PERMISSION}", user, country)
    access_changed(user_ids=[user.pk])


def test_a_french_member_is_vouched_for_by_frances_provider(client, cast, oidc_provider, enforced):
    cast.fr.mfa_required = True
    cast.fr.save()
    chef, _ = chef_signs_in(client, cast, oidc_provider, role_map={"chef": "officer"})
    assert client.get("/c/fr/").status_code == 200
    assert client.get("/api/v1/countries/FR/").status_code == 200


def test_an_auditor_elsewhere_shows_the_portals_own_second_factor(client, cast, oidc_provider, enforced):
    chef, _ = chef_signs_in(client, cast, oidc_provider)  # France's country admin, just in time
    assert client.get("/c/fr/").status_code == 200
    client.post("/accounts/logout/")
    auditor_of(cast.ke, chef)
    response, _ = sso(client, "chef")
    assert response.status_code == 302
    # No second factor of the portal's yet: enrolment first, nothing else, France's pages included.
    for path in ("/c/fr/", "/audit/", "/c/fr/members/"):
        refused = client.get(path)
        assert refused.status_code == 302 and refused["Location"].startswith("/accounts/2fa/?next="), path
    api = client.get("/api/v1/countries/FR/")
    assert api.status_code == 403 and "second facteur" in api.json()["detail"]  # France's language
    client.post("/accounts/logout/")
    # With one, the sign-in asks for it after the provider, before the session opens.
    give_totp(chef)
    response, _ = sso(client, "chef")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/2fa/authenticate/")
    assert "_auth_user_id" not in client.session


def test_a_membership_of_a_country_that_asks_for_one_is_not_vouched_for(client, cast, oidc_provider, enforced):
    chef, _ = chef_signs_in(client, cast, oidc_provider, role_map={"chef": "officer"})
    with country_context(cast.ke):
        Membership.objects.create(country=cast.ke, user=chef, organisation=cast.ke_ministry, role="viewer")
    access_changed(user_ids=[chef.pk])
    assert client.get("/c/fr/").status_code == 200  # Kenya does not ask for one
    cast.ke.mfa_required = True
    cast.ke.save()
    assert client.get("/c/fr/")["Location"].startswith("/accounts/2fa/")
    assert client.get("/c/ke/")["Location"].startswith("/accounts/2fa/")


def test_a_token_is_held_to_the_rule_of_the_session_that_made_it(client, cast, oidc_provider, enforced):
    chef, _ = chef_signs_in(client, cast, oidc_provider)
    made = client.post(
        "/accounts/tokens/", {"name": "Reports", "countries": [cast.fr.pk], "access": "read", "days": "30"}
    )
    assert made.status_code == 200, made.content.decode()[:1000]
    raw = re.search(r'id="new-token">(pat_[^<]+)<', made.content.decode())[1]
    client.post("/accounts/logout/")
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    # France's provider vouched for France's country admin: the token works as the session did...
    assert client.get("/api/v1/countries/FR/", **bearer).status_code == 200
    # ...and stops once a role its provider cannot vouch for comes, as a session would.
    auditor_of(cast.ke, chef)
    refused = client.get("/api/v1/countries/FR/", **bearer)
    # (written in the chef's language: French, France's, kept on the account at its first sign-in)
    assert refused.status_code == 403 and "second facteur" in refused.json()["detail"]


# --- A vouching that no longer stands: the portal's own second factor on the next request ---------


def france_stops_trusting(cast, oidc_provider, **change) -> None:
    """France's country admin changes the provider (through the service, as on the identity page)."""
    france_provider(cast, oidc_provider.issuer, **{"trust_provider_mfa": False, **change})


def make_token(client, cast) -> dict:
    made = client.post(
        "/accounts/tokens/", {"name": "Reports", "countries": [cast.fr.pk], "access": "read", "days": "30"}
    )
    assert made.status_code == 200, made.content.decode()[:1000]
    raw = re.search(r'id="new-token">(pat_[^<]+)<', made.content.decode())[1]
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def asks_for_second_factor(response) -> bool:
    return response.status_code == 302 and response["Location"].startswith("/accounts/2fa/")


@pytest.mark.parametrize("change", [{}, {"trust_provider_mfa": True, "enabled": False}], ids=["untrusted", "off"])
def test_a_session_is_no_longer_vouched_for_once_its_country_stops_trusting(
    client, cast, oidc_provider, enforced, change
):
    chef, _ = chef_signs_in(client, cast, oidc_provider)  # France's country admin, vouched for
    assert client.get("/c/fr/").status_code == 200
    france_stops_trusting(cast, oidc_provider, **change)
    # The next request asks for the portal's own second factor (to set one up: the chef has none)...
    assert asks_for_second_factor(client.get("/c/fr/"))
    assert client.get("/api/v1/countries/FR/").status_code == 403
    # ...and trusting the provider again does not give the session its vouching back.
    france_provider(cast, oidc_provider.issuer, trust_provider_mfa=True)
    assert asks_for_second_factor(client.get("/c/fr/"))


def test_a_person_with_a_second_factor_shows_it_once_the_vouching_lapses(client, cast, oidc_provider, enforced):
    chef, _ = chef_signs_in(client, cast, oidc_provider)
    give_totp(chef)
    assert client.get("/c/fr/").status_code == 200
    france_stops_trusting(cast, oidc_provider)
    refused = client.get("/c/fr/")
    assert refused.status_code == 302 and refused["Location"].startswith("/accounts/2fa/reauthenticate/")


def test_a_session_vouched_for_an_officer_is_asked_once_made_country_admin(client, cast, oidc_provider, enforced):
    cast.fr.mfa_required = True
    cast.fr.save()
    chef, _ = chef_signs_in(client, cast, oidc_provider, role_map={"chef": "officer"})
    assert client.get("/c/fr/").status_code == 200
    with country_context(cast.fr):
        membership = Membership.objects.get(user=chef)
    services.member_change_role(
        membership=membership, by=cast.owner, access=access_for(cast.owner), role="country_admin"
    )
    assert asks_for_second_factor(client.get("/c/fr/"))
    assert client.get("/api/v1/countries/FR/").status_code == 403


def test_a_vouched_token_stops_when_its_country_stops_trusting_even_with_a_factor(
    client, cast, oidc_provider, enforced
):
    """The person has an authenticator, but never showed it for this token: it stood on France's
    provider, and stops with it (once answered from the cache, too)."""
    chef, _ = chef_signs_in(client, cast, oidc_provider)
    give_totp(chef)
    bearer = make_token(client, cast)
    client.post("/accounts/logout/")
    assert client.get("/api/v1/countries/FR/", **bearer).status_code == 200
    assert client.get("/api/v1/countries/FR/", **bearer).status_code == 200  # the answer, cached
    france_stops_trusting(cast, oidc_provider)
    refused = client.get("/api/v1/countries/FR/", **bearer)
    assert refused.status_code == 403 and "second facteur" in refused.json()["detail"]


def test_a_vouched_token_stops_once_its_officer_is_made_country_admin(client, cast, oidc_provider, enforced):
    cast.fr.mfa_required = True
    cast.fr.save()
    chef, _ = chef_signs_in(client, cast, oidc_provider, role_map={"chef": "officer"})
    give_totp(chef)
    bearer = make_token(client, cast)
    client.post("/accounts/logout/")
    assert client.get("/api/v1/countries/FR/", **bearer).status_code == 200
    with country_context(cast.fr):
        membership = Membership.objects.get(user=chef)
    services.member_change_role(
        membership=membership, by=cast.owner, access=access_for(cast.owner), role="country_admin"
    )
    assert client.get("/api/v1/countries/FR/", **bearer).status_code == 403


def test_a_token_made_after_the_portals_own_second_factor_stands_on_it(client, cast, oidc_provider, enforced):
    """Shown in the session, the portal's own factor is what a token made there stands on: France
    no longer trusting its provider changes nothing for it."""
    chef, _ = chef_signs_in(client, cast, oidc_provider)
    give_totp(chef)
    second_factor_shown(client)
    bearer = make_token(client, cast)
    client.post("/accounts/logout/")
    france_stops_trusting(cast, oidc_provider)
    assert client.get("/api/v1/countries/FR/", **bearer).status_code == 200


def test_a_countrys_new_rule_reaches_a_tokens_cached_answer(api, cast, enforced):
    """France's admin turns on the second factor for everyone (the service changes the row with an
    update, which sends no signal): a viewer's token, answered from the cache until then, stops."""
    from tenants.identity.providers import country_second_factor_set
    from tenants.identity.tokens import api_token_issue

    raw, _token = api_token_issue(user=cast.viewer)
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert api.get("/api/v1/countries/FR/").status_code == 200
    assert api.get("/api/v1/countries/FR/").status_code == 200
    country_second_factor_set(country=cast.fr, by=cast.owner, access=access_for(cast.owner), required=True)
    assert api.get("/api/v1/countries/FR/").status_code == 403


def test_a_vouched_session_is_asked_on_the_next_request_once_given_a_platform_role(
    client, cast, oidc_provider, enforced
):
    chef, _ = chef_signs_in(client, cast, oidc_provider)
    assert client.get("/c/fr/").status_code == 200
    auditor_of(cast.ke, chef)
    assert asks_for_second_factor(client.get("/c/fr/"))
