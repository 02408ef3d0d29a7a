"""One country's invitation and another country's single sign-on, in both orders: Kenya's pending
invitation never stops France's member from signing in through France's provider, France learns
nothing of it (its provider makes an account of its own, as for anyone new), and the invitation
still works afterwards. An account that only holds an invitation is never taken over by a provider."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from tenants import services
from tenants.access import access_for
from tenants.isolation import country_context
from tenants.models import Invitation, Membership
from tenants.record.models import CountryEvent
from tests.identity.conftest import france_provider, sso

pytestmark = pytest.mark.django_db
User = get_user_model()
CLAIRE = "claire.martin@interieur.gouv.fr"


def invite(cast, country, by, organisation) -> Membership:
    return services.member_invite(
        country=country,
        by=by,
        access=access_for(by),
        email=CLAIRE,
        first_name="Claire",
        last_name="Martin",
        organisation=organisation,
        role="viewer",
    )


def kenya_invites(cast) -> Membership:
    return invite(cast, cast.ke, cast.outsider, cast.ke_ministry)


def invitation_path(cast, membership: Membership) -> str:
    with country_context(membership.country_id):
        invitation = Invitation.objects.get(membership_id=membership.pk)
    return urlsplit(services.invitation_link(invitation)).path


def signed_in(client) -> int | None:
    user_id = client.session.get("_auth_user_id")
    return int(user_id) if user_id else None


def test_kenyas_invitation_first_then_frances_sign_in(client, cast, oidc_provider):
    invited = kenya_invites(cast)
    placeholder = invited.user
    france_provider(cast, oidc_provider.issuer)
    response, _ = sso(client, "claire")
    assert response.status_code == 302, response.content.decode()[:1000]
    # France's member is in, on an account of France's own: Kenya's is not touched nor revealed.
    member = User.objects.get(pk=signed_in(client))
    assert member.pk != placeholder.pk and member.email == CLAIRE
    assert access_for(member).member_country_ids == {cast.fr.pk} and access_for(member).role_in(cast.ke.pk) is None
    assert client.get("/c/fr/").status_code == 200 and client.get("/c/ke/").status_code == 404
    with country_context(cast.fr):
        assert list(Membership.objects.values_list("user_id", flat=True).filter(user__email=CLAIRE)) == [member.pk]
        assert not CountryEvent.objects.filter(target_id=str(invited.pk)).exists()
    placeholder.refresh_from_db()
    assert not placeholder.is_active and not placeholder.has_usable_password()
    # Kenya's invitation still works, for the account it was made for.
    invitee = Client()
    page = invitee.get(invitation_path(cast, invited))
    assert page.status_code == 200 and "password" in page.content.decode()
    password = "a-long-kenyan-password-7"
    accepted = invitee.post(invitation_path(cast, invited), {"password": password, "password_again": password})
    assert accepted.status_code == 302, accepted.content.decode()[:1000]
    placeholder.refresh_from_db()
    assert placeholder.is_active and access_for(placeholder).role_in(cast.ke.pk) == "viewer"
    assert access_for(member).member_country_ids == {cast.fr.pk}  # France's account is as it was


def test_frances_sign_in_first_then_kenyas_invitation(client, cast, oidc_provider):
    france_provider(cast, oidc_provider.issuer)
    response, _ = sso(client, "claire")
    assert response.status_code == 302
    member = User.objects.get(pk=signed_in(client))
    client.post("/accounts/logout/")
    invited = kenya_invites(cast)
    assert invited.user_id == member.pk  # the one account of the address, as for any invitation
    # The pending invitation does not stop France's sign-in...
    response, _ = sso(client, "claire")
    assert response.status_code == 302 and signed_in(client) == member.pk
    assert client.get("/c/fr/").status_code == 200
    # ...and is accepted signed in, as an invitation to an existing account is.
    path = invitation_path(cast, invited)
    assert client.get(path).status_code == 200
    assert client.post(path).status_code == 302
    assert access_for(member).member_country_ids == {cast.fr.pk, cast.ke.pk}


def test_frances_own_invitation_is_pointed_to_not_taken_over(client, cast, oidc_provider):
    invited = invite(cast, cast.fr, cast.owner, cast.fr_ministry)
    france_provider(cast, oidc_provider.issuer)
    before = User.objects.count()
    response, _ = sso(client, "claire")
    assert response.status_code == 403 and signed_in(client) is None
    assert "France has invited you: open the link in the invitation mail" in response.content.decode()
    assert User.objects.count() == before
    invited.user.refresh_from_db()
    assert not invited.user.is_active
