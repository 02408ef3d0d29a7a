"""Decisions on a running deployment reach its requester: suspended, reinstated and decommissioned
by someone else are told in the portal and by mail (through the outbox), each newer move clears the
older notice. The person who made the move is not told."""

from __future__ import annotations

import pytest

from deployments import services
from tenants.isolation import country_context
from tenants.notifications.models import Notification, OutgoingMail
from tests.deployments.conftest import act
from tests.deployments.test_views import active

pytestmark = pytest.mark.django_db


def unread(cast, user) -> list[Notification]:
    with country_context(cast.fr):
        return list(Notification.objects.filter(user=user, read_at__isnull=True).order_by("id"))


def test_the_requester_hears_of_each_decision_on_their_running_deployment(client, cast, ready):
    item, _environment = active(cast, ready)
    url = f"/c/fr/deployments/{item.pk}/"
    with country_context(cast.fr):
        Notification.objects.filter(user=cast.member).update(read_at=item.created_at)  # the approval, read
    mails = OutgoingMail.objects.filter(to=cast.member.email).count()

    item = services.deployment_request_transition(
        request=item, action="suspend", comment="Answers leaked personal data.", **act(cast.partner)
    )
    told = unread(cast, cast.member)
    assert [(n.url, "suspended" in n.subject) for n in told] == [(url, True)]
    assert "Read the reason" in told[0].body
    assert OutgoingMail.objects.filter(to=cast.member.email).count() == mails + 1
    assert unread(cast, cast.partner) == []  # who made the move is not told

    item = services.deployment_request_transition(request=item, action="reinstate", **act(cast.partner))
    told = unread(cast, cast.member)
    assert len(told) == 1 and "reinstated" in told[0].subject  # the suspension's notice is cleared

    services.deployment_request_transition(
        request=item, action="decommission", comment="Replaced by a newer service.", **act(cast.owner)
    )
    told = unread(cast, cast.member)
    assert len(told) == 1 and "decommissioned" in told[0].subject
    assert unread(cast, cast.owner) == []
    assert OutgoingMail.objects.filter(to=cast.member.email).count() == mails + 3
    client.force_login(cast.member)
    assert url in client.get("/notifications/").content.decode()
