"""A provider's vouching for a second factor ends with every change that withdraws the trust it
stood on: an acr value that meant multi-factor taken away, another issuer, trust or the provider
turned off. Trust given back later does not revive it, for the session or for a token made in it;
a change that withdraws nothing (another name, one more acr value) leaves it standing."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from tests.identity.conftest import france_provider, sso
from tests.identity.test_provider_second_factor import asks_for_second_factor, make_token

pytestmark = pytest.mark.django_db
User = get_user_model()
ACR = ["eidas2", "eidas3"]


@pytest.fixture
def enforced(settings):
    settings.SECOND_FACTOR_ENFORCED = True


def directrice_signs_in(client, cast, oidc_provider):
    """France's country admin, just in time, whose sign-in the provider reports as acr eidas2 (no
    amr): vouched for by the country's acr rule."""
    france_provider(cast, oidc_provider.issuer, trust_provider_mfa=True, mfa_acr_values=ACR)
    response, _ = sso(client, "directrice")
    assert response.status_code == 302, response.content.decode()[:1000]
    assert client.get("/c/fr/").status_code == 200
    return User.objects.get(email="directrice@interieur.gouv.fr")


@pytest.mark.parametrize(
    "change",
    [{"mfa_acr_values": ["eidas3"]}, {"mfa_acr_values": []}, {"issuer": "moved"}],
    ids=["acr-value-taken-away", "acr-rule-emptied", "another-issuer"],
)
def test_a_change_that_withdraws_trust_ends_the_sessions_and_the_tokens_vouching(
    client, cast, oidc_provider, enforced, change
):
    directrice_signs_in(client, cast, oidc_provider)
    bearer = make_token(client, cast)
    assert client.get("/api/v1/countries/FR/", **bearer).status_code == 200
    issuer = f"{oidc_provider.issuer}/elsewhere" if change.pop("issuer", None) else oidc_provider.issuer
    france_provider(cast, issuer, trust_provider_mfa=True, **{"mfa_acr_values": ACR, **change})
    assert asks_for_second_factor(client.get("/c/fr/"))
    assert client.get("/api/v1/countries/FR/", **bearer).status_code == 403
    # Putting the rule back as it was does not revive either.
    france_provider(cast, oidc_provider.issuer, trust_provider_mfa=True, mfa_acr_values=ACR)
    assert asks_for_second_factor(client.get("/c/fr/"))
    assert client.get("/api/v1/countries/FR/", **bearer).status_code == 403


def test_trust_turned_off_and_on_again_does_not_revive_a_token(client, cast, oidc_provider, enforced):
    directrice_signs_in(client, cast, oidc_provider)
    bearer = make_token(client, cast)
    client.post("/accounts/logout/")
    france_provider(cast, oidc_provider.issuer, trust_provider_mfa=False, mfa_acr_values=ACR)
    assert client.get("/api/v1/countries/FR/", **bearer).status_code == 403
    france_provider(cast, oidc_provider.issuer, trust_provider_mfa=True, mfa_acr_values=ACR)
    assert client.get("/api/v1/countries/FR/", **bearer).status_code == 403


def test_a_change_that_withdraws_nothing_leaves_the_vouching_standing(client, cast, oidc_provider, enforced):
    directrice_signs_in(client, cast, oidc_provider)
    bearer = make_token(client, cast)
    france_provider(
        cast, oidc_provider.issuer, name="ProConnect 2", trust_provider_mfa=True, mfa_acr_values=[*ACR, "eidas4"]
    )
    assert client.get("/c/fr/").status_code == 200
    assert client.get("/api/v1/countries/FR/", **bearer).status_code == 200
