"""An account a country's provider made signs in through that provider only: a password reset sends
it no link but says where to sign in, a link sent before sets no password, nor does the page for
setting one. Once the country turns its provider off, its people may choose a password."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client

from tests.conftest import deliver_mail
from tests.identity.conftest import france_provider, sso
from tests.identity.helpers import answer_password_resets

pytestmark = pytest.mark.django_db
User = get_user_model()
CLAIRE = "claire.martin@interieur.gouv.fr"
NEW = {"password1": "a-fresh-long-password-9", "password2": "a-fresh-long-password-9"}


def claire_made_by_france(client, cast, oidc_provider):
    france_provider(cast, oidc_provider.issuer)
    response, _ = sso(client, "claire")
    assert response.status_code == 302, response.content.decode()[:1000]
    claire = User.objects.get(email=CLAIRE)
    assert not claire.has_usable_password()
    return claire


def reset_mail() -> str:
    assert Client().post("/accounts/password/reset/", {"email": CLAIRE}).status_code == 302
    answer_password_resets()
    deliver_mail()
    assert len(mail.outbox) == 1
    return mail.outbox[0].subject + "\n" + mail.outbox[0].body


def old_link(user) -> str:
    """A reset link as one sent before would be (allauth's own key for the account)."""
    from allauth.account.forms import default_token_generator
    from allauth.account.utils import user_pk_to_url_str

    return f"/accounts/password/reset/key/{user_pk_to_url_str(user)}-{default_token_generator.make_token(user)}/"


def test_a_reset_for_an_account_of_the_provider_says_where_to_sign_in_and_sends_no_link(
    client, cast, oidc_provider, settings
):
    settings.PORTAL_BASE_URL = "https://portal.example.gov"
    claire_made_by_france(client, cast, oidc_provider)
    text = reset_mail()
    assert "/accounts/password/reset/key/" not in text
    # In Claire's language (France's): where she signs in, and how.
    assert "gouvernemental de France, ProConnect" in text and "https://portal.example.gov/accounts/login/" in text


def test_a_link_sent_before_sets_no_password_and_says_where_to_sign_in(client, cast, oidc_provider):
    claire = claire_made_by_france(client, cast, oidc_provider)
    client.post("/accounts/logout/")
    other = Client()
    form = other.get(old_link(claire), follow=True)
    refused = other.post(form.redirect_chain[-1][0], NEW)
    assert refused.status_code == 200
    assert "government sign-in, ProConnect: it has no password" in refused.content.decode()
    claire.refresh_from_db()
    assert not claire.has_usable_password()


def test_the_page_for_setting_a_password_sets_none(client, cast, oidc_provider):
    claire = claire_made_by_france(client, cast, oidc_provider)
    refused = client.post("/accounts/password/set/", NEW)  # in French, France's language
    assert refused.status_code == 200 and "aucun ne peut lui être attribué" in refused.content.decode()
    claire.refresh_from_db()
    assert not claire.has_usable_password()


def test_once_the_country_turns_its_provider_off_a_password_can_be_chosen(client, cast, oidc_provider):
    claire = claire_made_by_france(client, cast, oidc_provider)
    client.post("/accounts/logout/")
    france_provider(cast, oidc_provider.issuer, enabled=False)
    assert "/accounts/password/reset/key/" in reset_mail()
    other = Client()
    form = other.get(old_link(claire), follow=True)
    assert other.post(form.redirect_chain[-1][0], NEW).status_code == 302
    claire.refresh_from_db()
    assert claire.check_password(NEW["password1"])
