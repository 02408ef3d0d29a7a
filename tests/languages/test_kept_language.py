"""The language a person read their invitation in (their switcher's choice on its page, else the
inviting country's default) is kept on their account when they accept it, unless they had chosen
one: their later mails and pages, on any browser, go on in it. A choice already made stays."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from django.test import Client

from tenants import services
from tenants.access import access_for
from tenants.isolation import country_context
from tenants.languages.choice import language_for_user
from tenants.languages.models import Preferences
from tenants.models import Invitation

pytestmark = pytest.mark.django_db
PASSWORD = "a-long-chosen-password-5"


def invite(country, by, organisation, email: str):
    membership = services.member_invite(
        country=country,
        by=by,
        access=access_for(by),
        email=email,
        first_name="Neema",
        last_name="Njeri",
        organisation=organisation,
        role="viewer",
    )
    with country_context(country):
        invitation = Invitation.objects.get(membership_id=membership.pk)
    return membership.user, urlsplit(services.invitation_link(invitation)).path


def switch(client: Client, language: str, back: str) -> None:
    assert client.post("/language/", {"language": language, "next": back}).status_code == 302


def accept_with_password(client: Client, path: str) -> None:
    page = client.get(path)
    assert page.status_code == 200
    response = client.post(path, {"password": PASSWORD, "password_again": PASSWORD})
    assert response.status_code == 302, response.content.decode()[:1000]


def page_language(user) -> str:
    fresh = Client()  # another browser: no switcher cookie
    fresh.force_login(user)
    html = fresh.get("/").content.decode()
    return html.split('<html lang="', 1)[1].split('"', 1)[0]


def test_the_language_chosen_on_the_invitation_page_is_kept(cast):
    user, path = invite(cast.ke, cast.outsider, cast.ke_ministry, "neema@example.org")
    browser = Client()
    switch(browser, "sw", path)
    assert 'lang="sw"' in browser.get(path).content.decode()
    accept_with_password(browser, path)
    user.refresh_from_db()
    assert Preferences.objects.get(user=user).language == "sw"
    assert language_for_user(user) == "sw"  # mails
    assert page_language(user) == "sw"  # pages, on another browser too


def test_the_invitations_own_language_is_kept(cast):
    """France's invitation is in French (its default): accepted from an English browser, the
    account keeps French, as the invitation was written."""
    user, path = invite(cast.fr, cast.owner, cast.fr_agency, "nina@example.org")
    browser = Client(headers={"accept-language": "en"})
    accept_with_password(browser, path)
    assert Preferences.objects.get(user=user).language == "fr"


def test_joining_another_country_keeps_the_language_one_read_in(client, cast):
    """Kenya's admin (no choice of their own: Kenya's English) accepts France's invitation signed in:
    they go on in English, not in the default of the country that happens to come first."""
    Preferences.objects.filter(user=cast.outsider).delete()
    _user, path = invite(cast.fr, cast.owner, cast.fr_agency, cast.outsider.email)
    client.force_login(cast.outsider)
    assert client.post(path).status_code == 302
    assert access_for(cast.outsider).member_country_ids == {cast.fr.pk, cast.ke.pk}
    assert language_for_user(cast.outsider) == "en"
    assert page_language(cast.outsider) == "en"


def test_a_choice_already_made_stays(cast):
    user, path = invite(cast.ke, cast.outsider, cast.ke_ministry, "neema@example.org")
    Preferences.objects.create(user=user, language="es")
    browser = Client()
    switch(browser, "sw", path)
    assert 'lang="es"' in browser.get(path).content.decode()  # the invited person's own choice first
    accept_with_password(browser, path)
    assert Preferences.objects.get(user=user).language == "es"
