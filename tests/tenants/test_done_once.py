"""What is done is said, not offered again: an invitation link opened once it was accepted says when
and leads in (never the password form again); inviting someone already in the country says where
they are (a member since a day, or invited and not yet answered, until when); asking for a country's
full export while one is being built is not offered, and is refused, naming the one under way."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.formats import date_format

from tenants import services
from tenants.access import access_for
from tenants.isolation import country_context
from tenants.keys.export import country_export_build, country_export_request
from tenants.keys.models import CountryExport
from tenants.languages.formatting import long_date
from tenants.models import Invitation, Membership
from tenants.record.exports import ExportRefused
from tenants.record.models import CountryEvent
from tests.languages.pseudo import visible_text
from tests.tenants.test_views import error_summary, fr_state, invite_data, make_invitation

pytestmark = pytest.mark.django_db
User = get_user_model()
PASSWORD = "a-long-sovereign-passphrase"


def words(response) -> str:
    return " ".join(visible_text(response.content.decode()).split())


# --- An invitation accepted ------------------------------------------------------------------------------


def accepted(cast, client) -> tuple[str, Invitation]:
    invitation = make_invitation(cast)
    url = f"/accounts/invitation/{services.invitation_token(invitation)}/"
    client.cookies["django_language"] = "en"
    assert client.post(url, {"password": PASSWORD, "password_again": PASSWORD}).status_code == 302
    with country_context(cast.fr):
        return url, Invitation.objects.get(pk=invitation.pk)


def test_a_link_opened_after_acceptance_says_when_and_leads_in(client, cast):
    url, invitation = accepted(cast, client)
    # Signed in as the new member (accepting signed them in): the way into France.
    response = client.get(url)
    text = words(response)
    assert response.status_code == 200
    assert (
        f"This invitation was accepted on {long_date(invitation.accepted_at)}: the account it opened is ready. "
        "Sign in with it." in text
    )
    assert "Go to France" in text and 'href="/c/fr/"' in response.content.decode()
    assert "Choose your password" not in text and 'name="password"' not in response.content.decode()
    # Signed out, or signed in as someone outside France: signing in, then France.
    for who in (None, cast.outsider):
        client.logout()
        if who is not None:
            client.force_login(who)
        response = client.get(url)
        assert response.status_code == 200 and "Invitation already accepted" in words(response)
        assert 'href="/accounts/login/?next=%2Fc%2Ffr%2F"' in response.content.decode()
        assert "Go to France" not in words(response)


def test_posting_to_an_accepted_link_changes_nothing(client, cast):
    url, invitation = accepted(cast, client)
    client.logout()
    before = fr_state(cast)
    user = User.objects.get(email="ines.invitee@example.org")
    response = client.post(
        url, {"password": "another-long-passphrase-7", "password_again": "another-long-passphrase-7"}
    )
    assert response.status_code == 200 and "Invitation already accepted" in words(response)
    assert fr_state(cast) == before
    assert User.objects.get(pk=user.pk).password == user.password


# --- Inviting someone already in the country ----------------------------------------------------------


def test_inviting_a_member_says_since_when(client, cast):
    client.force_login(cast.owner)
    before = fr_state(cast)
    response = client.post("/c/fr/members/invite/", invite_data(cast, email="member@example.org"))
    assert response.status_code == 400
    with country_context(cast.fr):
        since = long_date(Membership.objects.get(user=cast.member).created_at)
    assert (
        f"member@example.org is already a member of France, since {since}: change their role on their page."
        in error_summary(response)
    )
    assert fr_state(cast) == before


def test_inviting_someone_invited_says_until_when_the_invitation_holds(client, cast):
    invitation = make_invitation(cast)
    client.force_login(cast.owner)
    before = fr_state(cast)
    response = client.post("/c/fr/members/invite/", invite_data(cast, email="ines.invitee@example.org"))
    assert response.status_code == 400
    assert (
        f"ines.invitee@example.org was invited to France on {long_date(invitation.created_at)} and has not answered "
        f"yet: the invitation holds until {long_date(invitation.expires_at)}, and can be sent again once it has "
        "expired." in error_summary(response)
    )
    assert fr_state(cast) == before
    # The API says the same.
    response = client.post(
        "/api/v1/countries/FR/members/",
        {**invite_data(cast, email="ines.invitee@example.org"), "organisation": cast.fr_agency.pk},
        content_type="application/json",
    )
    assert response.status_code == 400 and "has not answered yet" in response.json()["errors"]["email"][0]
    assert fr_state(cast) == before


# --- A full export under way ----------------------------------------------------------------------------------


def exports(cast) -> tuple[int, int]:
    with country_context(cast.fr):
        return CountryExport.objects.count(), CountryEvent.objects.filter(action="export.requested").count()


def test_an_export_under_way_is_shown_instead_of_asking_for_another(client, cast, django_capture_on_commit_callbacks):
    client.force_login(cast.owner)
    assert "Request a full export" in words(client.get("/c/fr/data/"))
    with django_capture_on_commit_callbacks(execute=False):
        assert client.post("/c/fr/data/exports/").status_code == 302
    with country_context(cast.fr):
        export = CountryExport.objects.get()
    text = words(client.get("/c/fr/data/"))
    requested = date_format(timezone.localtime(export.created_at), "DATETIME_FORMAT")
    assert f"An export requested on {requested} UTC is being built." in text
    assert "Request a full export" not in text
    before = exports(cast)
    with django_capture_on_commit_callbacks(execute=False):
        response = client.post("/c/fr/data/exports/")
    assert response.status_code == 400
    assert "is being built: it can be downloaded from this page once it is ready." in words(response)
    assert exports(cast) == before
    # Once it is built, another may be asked for.
    country_export_build(export_id=export.pk, country_id=cast.fr.pk)
    assert "Request a full export" in words(client.get("/c/fr/data/"))


def test_the_exit_export_is_not_held_back_by_one_under_way(cast, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        country_export_request(country=cast.fr, by=cast.owner, actor_role="country_admin")
        with pytest.raises(ExportRefused):
            country_export_request(country=cast.fr, by=cast.owner, actor_role="country_admin")
        country_export_request(country=cast.fr, for_exit=True, schedule=False)
    assert exports(cast)[0] == 2


@pytest.mark.parametrize("who, status", [("member", 403), ("auditor", 403), ("outsider", 404)])
def test_others_cannot_ask_for_an_export(client, cast, who, status):
    client.force_login(getattr(cast, who))
    before = exports(cast)
    assert client.post("/c/fr/data/exports/").status_code == status
    assert exports(cast) == before


def test_an_invitation_still_open_can_still_be_accepted(client, cast):
    """The page of an invitation not yet accepted is the password form, as before."""
    invitation = make_invitation(cast)
    client.cookies["django_language"] = "en"
    response = client.get(f"/accounts/invitation/{services.invitation_token(invitation)}/")
    assert response.status_code == 200 and 'name="password"' in response.content.decode()
    assert timezone.now() < invitation.expires_at < timezone.now() + timedelta(days=30)
    assert access_for(cast.owner).is_country_admin(cast.fr.pk)
