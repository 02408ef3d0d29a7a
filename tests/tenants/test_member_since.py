"""A person's page says where their membership stands: an invitation not yet accepted is shown as
such, with the day it was made, never as a membership; once accepted, the day they joined."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape

import pytest
from django.utils import formats, timezone

from tenants import services
from tenants.access import access_for
from tenants.isolation import country_context
from tenants.models import Invitation

pytestmark = pytest.mark.django_db


def _page(client, cast, pk) -> str:
    client.force_login(cast.owner)
    response = client.get(f"/c/fr/members/{pk}/")
    assert response.status_code == 200
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", response.content.decode())).split())


def test_an_invited_person_is_invited_not_a_member(client, cast):
    membership = services.member_invite(
        country=cast.fr,
        by=cast.owner,
        access=access_for(cast.owner),
        email="new.person@example.org",
        first_name="Nadia",
        last_name="Newcomer",
        organisation=cast.fr_agency,
        role="viewer",
    )
    with country_context(cast.fr):
        invitation = Invitation.objects.get(membership=membership)
        invited = invitation.created_at - timedelta(days=3)
        Invitation.objects.filter(pk=invitation.pk).update(created_at=invited)
    text = _page(client, cast, membership.pk)
    assert "Member since" not in text
    assert f"Invited on {formats.date_format(timezone.localtime(invited), 'DATE_FORMAT')}, not yet accepted" in text
    token = services.invitation_token(invitation)
    services.invitation_accept(token=token, password="a-long-enough-passphrase-2026")
    with country_context(cast.fr):
        accepted = Invitation.objects.get(pk=invitation.pk).accepted_at
    text = _page(client, cast, membership.pk)
    assert "not yet accepted" not in text
    assert f"Member since {formats.date_format(timezone.localtime(accepted), 'DATE_FORMAT')}" in text
