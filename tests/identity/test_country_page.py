"""A country's sign-in settings page (/c/<code>/identity/): its country admin sets the country's
provider and the second factor for everyone; its other members get 403, another country's people
and anonymous visitors what every country page gives them (404, the sign-in page)."""

from __future__ import annotations

import pytest

from tenants.identity.models import IdentityProvider
from tenants.isolation import country_context
from tenants.record.models import PlatformEvent

pytestmark = pytest.mark.django_db
PAGE = "/c/fr/identity/"


def form(cast, **changes) -> dict:
    data = {
        "mfa_required": "on",
        "name": "ProConnect",
        "issuer": "https://id.example.gouv.fr",
        "client_id": "portal",
        "client_secret": "france-secret",
        "allowed_domains": "interieur.gouv.fr\nnumerique.gouv.fr",
        "role_claim": "role",
        "role_map": '{"agent": "officer"}',
        "default_organisation": str(cast.fr_ministry.pk),
        "default_role": "viewer",
        "jit_enabled": "on",
        "enabled": "on",
    }
    data.update(changes)
    return data


def test_the_country_admin_sets_the_provider_and_the_second_factor(client, cast):
    client.force_login(cast.owner)
    assert client.get(PAGE).status_code == 200
    response = client.post(PAGE, form(cast))
    assert response.status_code == 302, response.content.decode()[:2000]
    cast.fr.refresh_from_db()
    assert cast.fr.mfa_required
    with country_context(cast.fr):
        provider = IdentityProvider.objects.get()
        assert provider.allowed_domains == ["interieur.gouv.fr", "numerique.gouv.fr"]
        assert str(provider.client_secret) == "france-secret" and provider.role_map == {"agent": "officer"}
    actions = set(PlatformEvent.objects.values_list("action", flat=True))
    assert {"country.second_factor_changed", "identity_provider.created"} <= actions
    html = client.get(PAGE).content.decode()
    assert "france-secret" not in html  # never shown again


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"allowed_domains": "not a domain!"}, "is not a domain name"),
        ({"issuer": "ftp://id.example"}, "https://"),
        ({"client_secret": ""}, "Enter the client secret"),
        ({"role_map": "[1, 2"}, "Write the mapping as JSON"),
        ({"role_map": '{"agent": "auditor"}'}, "Map claims only to the roles"),
        ({"default_organisation": str(999999)}, "Select a valid choice"),
    ],
)
def test_bad_settings_are_explained_and_change_nothing(client, cast, changes, message):
    client.force_login(cast.owner)
    response = client.post(PAGE, form(cast, **changes))
    assert response.status_code == 400 and message in response.content.decode()
    with country_context(cast.fr):
        assert not IdentityProvider.objects.exists()
    assert not PlatformEvent.objects.filter(action="identity_provider.created").exists()


@pytest.mark.parametrize(
    "who, status", [("member", 403), ("viewer", 403), ("outsider", 404), ("partner", 403), ("auditor", 403)]
)
def test_nobody_else_sees_or_changes_it(client, cast, who, status):
    client.force_login(getattr(cast, who))
    assert client.get(PAGE).status_code == status
    assert client.post(PAGE, form(cast)).status_code == status
    cast.fr.refresh_from_db()
    assert not cast.fr.mfa_required


def test_anonymous_visitors_are_sent_to_sign_in(client, cast):
    assert client.get(PAGE)["Location"].startswith("/accounts/login/")
    assert client.get("/c/ke/identity/")["Location"].startswith("/accounts/login/")


def test_a_domain_of_another_countrys_provider_or_a_public_mail_service_is_refused(client, cast):
    from tenants.access import access_for
    from tenants.identity.providers import identity_provider_save

    kenya = {
        "name": "eCitizen",
        "issuer": "https://id.example.go.ke",
        "client_id": "portal",
        "allowed_domains": ["interior.go.ke", "shared.example.net"],
        "default_role": "viewer",
        "enabled": False,  # a provider turned off still holds its domains
    }
    identity_provider_save(
        country=cast.ke, by=cast.outsider, access=access_for(cast.outsider), data=kenya, client_secret="s"
    )
    client.force_login(cast.owner)
    for domains, message in (
        ("interieur.gouv.fr\nShared.Example.net", "shared.example.net is already a domain of another country"),
        ("interieur.gouv.fr\ngmail.com", "gmail.com is a public mail service"),
    ):
        response = client.post(PAGE, form(cast, allowed_domains=domains))
        assert response.status_code == 400 and message in response.content.decode()
        with country_context(cast.fr):
            assert not IdentityProvider.objects.exists()
    # Kenya's own domains stay Kenya's to change.
    kenya["allowed_domains"] = ["interior.go.ke"]
    identity_provider_save(country=cast.ke, by=cast.outsider, access=access_for(cast.outsider), data=kenya)
    assert client.post(PAGE, form(cast, allowed_domains="shared.example.net")).status_code == 302
