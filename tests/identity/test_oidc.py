"""Single sign-on through a country's identity provider: a real OpenID Connect provider on
127.0.0.1 (authorization code with PKCE, state, nonce, RS256 signature checked against its JWKS),
and every refusal: wrong audience, expired, unsigned, badly signed, another sign-in's nonce,
replayed state, an address outside the allowed domains, an unverified address, an existing
account's address (no takeover), and country A's provider asserting country B's people."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from allauth.socialaccount.models import SocialAccount
from django.contrib.auth import get_user_model

from tenants.access import access_for
from tenants.isolation import country_context
from tenants.models import Membership
from tenants.record.models import CountryEvent
from tests.identity.conftest import france_provider, provider_sign_in, sso

pytestmark = pytest.mark.django_db
User = get_user_model()


def signed_in(client) -> int | None:
    user_id = client.session.get("_auth_user_id")
    return int(user_id) if user_id else None


def refused(response, client, *, users_before: int, words: str = "") -> None:
    assert signed_in(client) is None
    assert User.objects.count() == users_before
    if words:
        assert words in response.content.decode(), response.content.decode()[:2000]


def test_the_sign_in_page_offers_the_government_sign_in(client, cast, oidc_provider):
    france_provider(cast, oidc_provider.issuer)
    html = client.get("/accounts/login/").content.decode()
    assert "Sign in with your government account" in html and "France – ProConnect" in html


def test_an_officer_signs_in_just_in_time_by_email_domain(client, cast, oidc_provider):
    france_provider(cast, oidc_provider.issuer)
    start = client.post("/accounts/sso/", {"email": "claire.martin@interieur.gouv.fr"})
    assert start.status_code == 302
    query = parse_qs(urlsplit(start["Location"]).query)
    # Authorization code flow with PKCE (S256), a state and a nonce, to the provider's own endpoint.
    assert start["Location"].startswith(f"{oidc_provider.issuer}/authorize/")
    assert query["response_type"] == ["code"] and query["code_challenge_method"] == ["S256"]
    assert query["state"][0] and query["nonce"][0] and query["code_challenge"][0]
    response = client.get(
        urlsplit(provider_sign_in(start["Location"], "claire"))._replace(scheme="", netloc="").geturl()
    )
    assert response.status_code == 302, response.content.decode()[:1500]
    user = User.objects.get(pk=signed_in(client))
    assert (user.email, user.first_name, user.last_name) == ("claire.martin@interieur.gouv.fr", "Claire", "Martin")
    assert not user.has_usable_password()
    access = access_for(user)
    assert access.role_in(cast.fr.pk) == "officer" and access.country_ids == {cast.fr.pk}
    with country_context(cast.fr):
        membership = Membership.objects.get(user=user)
        assert membership.organisation_id == cast.fr_ministry.pk  # the claim mapping
        assert CountryEvent.objects.filter(action="member.joined_by_sso", target_id=str(membership.pk)).exists()
    assert client.get("/c/fr/").status_code == 200


def test_the_honest_front_works_so_the_refusals_below_are_the_tokens_faults(client, cast, oidc_provider):
    france_provider(cast, oidc_provider.mischief("honest"))
    response, _ = sso(client, "claire")
    assert response.status_code == 302 and signed_in(client) is not None


@pytest.mark.parametrize("mode", ["wrong-audience", "expired", "unsigned", "bad-signature", "wrong-nonce"])
def test_a_bad_id_token_signs_nobody_in(client, cast, oidc_provider, mode):
    france_provider(cast, oidc_provider.mischief(mode))
    before = User.objects.count()
    response, _ = sso(client, "claire")
    refused(response, client, users_before=before)
    assert response.status_code == 401  # allauth's authentication error page


def test_a_replayed_state_signs_nobody_in(client, cast, oidc_provider):
    france_provider(cast, oidc_provider.issuer)
    response, callback = sso(client, "claire")
    assert response.status_code == 302 and signed_in(client) is not None
    client.post("/accounts/logout/")
    before = User.objects.count()
    replay = client.get(callback)
    refused(replay, client, users_before=before)


def test_an_address_outside_the_allowed_domains_is_refused(client, cast, oidc_provider):
    france_provider(cast, oidc_provider.issuer, allowed_domains=["defense.gouv.fr"])
    before = User.objects.count()
    response, _ = sso(client, "claire")
    assert response.status_code == 403
    refused(response, client, users_before=before, words="Addresses in interieur.gouv.fr cannot sign in to France")


def test_an_unverified_address_is_refused(client, cast, oidc_provider):
    france_provider(cast, oidc_provider.issuer)
    before = User.objects.count()
    response, _ = sso(client, "spoof")
    assert response.status_code == 403
    refused(response, client, users_before=before, words="has not verified your email address")


def test_no_account_is_taken_over_by_asserting_its_address(client, cast, oidc_provider):
    """The provider asserts member@example.org, the address of France's officer: refused, even with
    just-in-time accounts on; the officer links the provider after signing in with a password."""
    france_provider(cast, oidc_provider.issuer, allowed_domains=["example.org", "interieur.gouv.fr"])
    before = User.objects.count()
    response, _ = sso(client, "marc")
    assert response.status_code == 403
    refused(response, client, users_before=before, words="sign in with your")
    assert not SocialAccount.objects.exists()
    # The officer proves the account first, then connects the provider to it...
    client.force_login(cast.member)
    connected, _ = sso(client, "marc", start="/accounts/gov/gov-fr/login/", data={"process": "connect"})
    assert connected.status_code == 302
    assert SocialAccount.objects.get(provider="gov-fr").user_id == cast.member.pk
    client.post("/accounts/logout/")
    # ...and from then on signs in with it.
    response, _ = sso(client, "marc")
    assert response.status_code == 302 and signed_in(client) == cast.member.pk


def test_country_a_provider_cannot_sign_in_country_b_people(client, cast, oidc_provider):
    """France's provider asserting the address of Kenya's admin: refused. And an identity linked
    to an account that is not (or no longer) a member of France signs nobody in either."""
    france_provider(cast, oidc_provider.issuer, allowed_domains=["example.org"])
    before = User.objects.count()
    response, _ = sso(client, "otieno")
    assert response.status_code == 403
    refused(response, client, users_before=before)
    # Even if the identity were linked to Kenya's admin (by whatever mistake), France's provider
    # cannot sign into an account that is not a member of France.
    start = client.post("/accounts/sso/", {"country": "FR"})
    location = provider_sign_in(start["Location"], "otieno")
    # Link the provider's identity of otieno to Kenya's admin directly, as a wrong link would be.
    SocialAccount.objects.create(user=cast.outsider, provider="gov-fr", uid=_subject_of("otieno"))
    response = client.get(urlsplit(location)._replace(scheme="", netloc="").geturl())
    assert response.status_code == 403
    refused(response, client, users_before=User.objects.count(), words="is not a member of France")


def _subject_of(username: str) -> str:
    from tests.identity.conftest import PEOPLE

    return str([p[0] for p in PEOPLE].index(username) + 1)


def test_just_in_time_accounts_only_when_the_country_turned_them_on(client, cast, oidc_provider):
    france_provider(cast, oidc_provider.issuer, jit_enabled=False)
    before = User.objects.count()
    response, _ = sso(client, "claire")
    assert response.status_code == 403
    refused(response, client, users_before=before, words="You have not been added to France yet")


def test_the_providers_multi_factor_counts_only_when_the_country_says_so(client, cast, oidc_provider, settings):
    settings.SECOND_FACTOR_ENFORCED = True
    france_provider(cast, oidc_provider.issuer, trust_provider_mfa=True)
    response, _ = sso(client, "chef")  # amr ["pwd", "mfa"], mapped to country admin
    assert response.status_code == 302
    assert client.get("/c/fr/").status_code == 200  # no enrolment asked: the provider's factor counts
    client.post("/accounts/logout/")
    france_provider(cast, oidc_provider.issuer, trust_provider_mfa=False)
    response, _ = sso(client, "chef")
    assert response.status_code == 302
    assert client.get("/c/fr/")["Location"].startswith("/accounts/2fa/")  # a country admin must enrol here


@pytest.mark.parametrize(
    "issuer", ["https://169.254.169.254", "https://10.0.0.7/realms/gov", "http://localhost:8080", "https://[::1]"]
)
def test_a_provider_inside_the_platform_is_refused_on_save(cast, issuer, settings):
    from tenants.errors import ServiceError

    settings.COUNTRY_NETWORKS = ""  # production's: public addresses only
    with pytest.raises(ServiceError, match="inside the platform's own network or reserved") as refused:
        france_provider(cast, issuer)
    assert refused.value.field == "issuer"


def test_a_provider_whose_name_resolves_inside_the_platform_is_never_called(client, cast, oidc_provider, settings):
    """Saved while its network was open, then closed (or a public name that now resolves inside):
    the sign-in does not call it, and says the provider cannot be reached, never a 500."""
    france_provider(cast, oidc_provider.issuer.replace("127.0.0.1", "localhost"))
    settings.COUNTRY_NETWORKS = ""
    response = client.post("/accounts/sso/", {"email": "claire.martin@interieur.gouv.fr"})
    assert response.status_code == 503, response.content[:500]
    assert "France&#x27;s government sign-in (ProConnect) cannot be reached right now" in response.content.decode()
    assert signed_in(client) is None


def test_a_provider_that_is_down_is_said_so_not_a_500(client, cast, oidc_provider):
    france_provider(cast, "http://127.0.0.1:9/nothing-listens-here")
    response = client.post("/accounts/sso/", {"country": "FR"})
    assert response.status_code == 503 and "cannot be reached right now" in response.content.decode()


def test_a_language_chosen_before_the_first_sign_in_is_kept(client, cast, oidc_provider):
    from tenants.languages.models import Preferences

    france_provider(cast, oidc_provider.issuer)
    assert client.post("/language/", {"language": "es", "next": "/accounts/login/"}).status_code == 302
    response, _ = sso(client, "claire")
    assert response.status_code == 302
    assert Preferences.objects.get(user_id=signed_in(client)).language == "es"
    client.post("/accounts/logout/")
    # Without a choice, none is made for the person: France's default applies to them.
    client.cookies.clear()
    france_provider(cast, oidc_provider.issuer, role_map={"chef": "officer"})
    response, _ = sso(client, "chef")
    assert response.status_code == 302
    assert not Preferences.objects.filter(user_id=signed_in(client)).exists()
