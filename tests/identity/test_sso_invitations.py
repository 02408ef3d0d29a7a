"""One country's invitation and another country's single sign-on, in both orders: Kenya's pending
invitation never stops France's member from signing in through France's provider, France learns
nothing of it (its provider makes an account of its own, as for anyone new), and the invitation
still works afterwards. An account that only holds an invitation is never taken over by a provider.
And the other way: an account France's provider signs in to is France's word about the person,
under which Kenya's membership is never held (tenants.identity.sso)."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from allauth.socialaccount.models import SocialAccount
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.test import Client
from django.utils import timezone, translation
from guardian.shortcuts import assign_perm

from tenants import services
from tenants.access import AUDITOR_PERMISSION, AUDITORS_GROUP, access_changed, access_for
from tenants.errors import ServiceError
from tenants.isolation import country_context
from tenants.models import Invitation, Membership
from tenants.record.models import CountryEvent
from tests.identity.conftest import CLIENT_ID, CLIENT_SECRET, france_provider, sso

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


def kenya_provider(cast, issuer: str):
    """Kenya's provider: for these tests, the same test provider as France's, its own row and link."""
    from tenants.identity.providers import identity_provider_save

    data = {
        "name": "eCitizen",
        "issuer": issuer,
        "client_id": CLIENT_ID,
        "allowed_domains": ["interieur.gouv.fr"],
        "default_organisation": cast.ke_ministry,
        "default_role": "viewer",
        "jit_enabled": True,
        "enabled": True,
    }
    return identity_provider_save(
        country=cast.ke, by=cast.outsider, access=access_for(cast.outsider), data=data, client_secret=CLIENT_SECRET
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
    """France's provider made the address's account: it is France's word about who signs in, which
    Kenya does not rely on. Kenya's invitation comes with an account of its own, taken up by the
    person through the link; France's provider never holds Kenya's membership."""
    france_provider(cast, oidc_provider.issuer)
    response, _ = sso(client, "claire")
    assert response.status_code == 302
    member = User.objects.get(pk=signed_in(client))
    client.post("/accounts/logout/")
    invited = kenya_invites(cast)
    assert invited.user_id != member.pk
    placeholder = invited.user
    assert placeholder.email == CLAIRE and not placeholder.is_active and not placeholder.has_usable_password()
    # The pending invitation does not stop France's sign-in, which gets nothing of Kenya's...
    response, _ = sso(client, "claire")
    assert response.status_code == 302 and signed_in(client) == member.pk
    assert client.get("/c/fr/").status_code == 200 and client.get("/c/ke/").status_code == 404
    assert access_for(member).member_country_ids == {cast.fr.pk}
    # ...and Kenya's invitation is taken up as any invitation to a new account: by choosing a password.
    invitee = Client()
    path = invitation_path(cast, invited)
    page = invitee.get(path)
    assert page.status_code == 200 and "Choose your password" in page.content.decode()
    password = "a-long-kenyan-password-7"
    accepted = invitee.post(path, {"password": password, "password_again": password})
    assert accepted.status_code == 302, accepted.content.decode()[:1000]
    placeholder.refresh_from_db()
    assert placeholder.is_active and access_for(placeholder).member_country_ids == {cast.ke.pk}
    assert access_for(member).member_country_ids == {cast.fr.pk}
    response, _ = sso(client, "claire")
    assert signed_in(client) == member.pk and client.get("/c/ke/").status_code == 404


def held_under_frances_provider(cast, member) -> Membership:
    """Kenya's invitation on the account France's provider signs in to, as invitations were made
    before they came with an account of their own."""
    with country_context(cast.ke):
        membership = Membership.objects.create(
            country=cast.ke, user=member, organisation=cast.ke_ministry, role="viewer", status="invited"
        )
        Invitation.objects.create(
            country=cast.ke,
            membership=membership,
            nonce="0123456789abcdef0123456789abcdef",
            invited_by=cast.outsider,
            invited_email=CLAIRE,
            invited_first_name="Claire",
            invited_last_name="Martin",
            expires_at=timezone.now() + timedelta(days=7),
        )
    return membership


def test_an_invitation_held_under_another_countrys_provider_is_not_taken_up(client, cast, oidc_provider):
    france_provider(cast, oidc_provider.issuer)
    sso(client, "claire")
    member = User.objects.get(pk=signed_in(client))
    held = held_under_frances_provider(cast, member)
    old_path = invitation_path(cast, held)
    # Signed in through France's provider, with the link: refused, page and form alike.
    page = client.get(old_path)
    assert page.status_code == 400 and "un autre pays" in page.content.decode()  # in Claire's French
    assert client.post(old_path).status_code == 400
    assert access_for(member).member_country_ids == {cast.fr.pk}
    with country_context(cast.ke):
        assert Membership.objects.get(pk=held.pk).status == "invited"
    # Kenya's admin invites again: the invitation moves to an account of its own, and the old link is dead.
    again = kenya_invites(cast)
    assert again.pk == held.pk and again.user_id != member.pk and not again.user.is_active
    assert client.get(old_path).status_code == 400
    assert access_for(member).member_country_ids == {cast.fr.pk}
    invitee = Client()
    password = "a-long-kenyan-password-7"
    assert (
        invitee.post(invitation_path(cast, again), {"password": password, "password_again": password}).status_code
        == 302
    )
    assert access_for(User.objects.get(pk=again.user_id)).member_country_ids == {cast.ke.pk}


def test_another_countrys_provider_does_not_sign_in_to_an_account_that_belongs_to_kenya(client, cast, oidc_provider):
    """An account France's provider signs in to that came to belong to Kenya too (before this rule):
    France's provider no longer signs in to it; its owner signs in with a password."""
    france_provider(cast, oidc_provider.issuer)
    sso(client, "claire")
    member = User.objects.get(pk=signed_in(client))
    client.post("/accounts/logout/")
    with country_context(cast.ke):
        Membership.objects.create(country=cast.ke, user=member, organisation=cast.ke_ministry, role="viewer")
    response, _ = sso(client, "claire")
    assert response.status_code == 403 and signed_in(client) is None
    assert "also belongs to another country" in response.content.decode()


def test_a_provider_is_not_connected_to_an_account_that_also_belongs_to_another_country(client, cast, oidc_provider):
    """France's officer is also invited to Kenya: connecting France's provider would put Kenya's
    membership under France's word. Refused; once the account is France's alone, it connects."""
    france_provider(cast, oidc_provider.issuer, allowed_domains=["example.org"])
    invited = services.member_invite(
        country=cast.ke,
        by=cast.outsider,
        access=access_for(cast.outsider),
        email=cast.member.email,
        first_name="Marc",
        last_name="Member",
        organisation=cast.ke_ministry,
        role="viewer",
    )
    assert invited.user_id == cast.member.pk  # no provider signs in to the account: the invitation is its
    client.force_login(cast.member)
    connect = {"process": "connect"}
    refused, _ = sso(client, "marc", start="/accounts/gov/gov-fr/login/", data=connect)
    assert refused.status_code == 403 and "another country" in refused.content.decode()
    assert not SocialAccount.objects.filter(user=cast.member).exists()
    with country_context(cast.ke):
        Membership.objects.filter(pk=invited.pk).delete()
    connected, _ = sso(client, "marc", start="/accounts/gov/gov-fr/login/", data=connect)
    assert connected.status_code == 302
    assert SocialAccount.objects.get(user=cast.member).provider == "gov-fr"


def test_an_account_another_countrys_provider_signs_in_to_does_not_stop_kenyas_provider(client, cast, oidc_provider):
    """Kenya's own provider, asserting the address of an account France's provider made: it neither
    takes that account over nor is stopped by it; it makes Kenya's own account, as for anyone new."""
    france_provider(cast, oidc_provider.issuer)
    sso(client, "claire")
    french = User.objects.get(pk=signed_in(client))
    client.post("/accounts/logout/")
    # A domain signs in to one country at a time: France gives it up, and Kenya's provider lists it.
    france_provider(cast, oidc_provider.issuer, allowed_domains=["defense.gouv.fr"])
    kenya_provider(cast, oidc_provider.issuer)
    response, _ = sso(client, "claire", data={"country": "KE"})
    assert response.status_code == 302, response.content.decode()[:1000]
    kenyan = User.objects.get(pk=signed_in(client))
    assert kenyan.pk != french.pk and kenyan.email == CLAIRE
    assert access_for(kenyan).member_country_ids == {cast.ke.pk}
    assert access_for(french).member_country_ids == {cast.fr.pk}
    assert set(SocialAccount.objects.filter(user=french).values_list("provider", flat=True)) == {"gov-fr"}


def test_oversight_holds_for_every_account_of_the_address(client, cast, oidc_provider):
    """Kenya's auditor signs in to France through France's provider: Kenya cannot make them a member
    by inviting the address, whichever account the invitation would come with."""
    france_provider(cast, oidc_provider.issuer)
    sso(client, "claire")
    member = User.objects.get(pk=signed_in(client))
    member.groups.add(Group.objects.get(name=AUDITORS_GROUP))
    assign_perm(f"tenants.{AUDITOR_PERMISSION}", member, cast.ke)
    access_changed(user_ids=[member.pk])
    before = User.objects.count()
    with translation.override("en"), pytest.raises(ServiceError, match="oversees Kenya"):
        kenya_invites(cast)
    assert User.objects.count() == before


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
