"""A policy acknowledged is not asked for again: its page says when the reader acknowledged it and
until when that holds, and offers to acknowledge it again only in the last days of its validity
(when the reminder they were sent asks them to, the policies page listing it too), or once it has
expired."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django.utils.formats import date_format

from governance import services
from governance.models import Acknowledgement
from tenants.isolation import country_context
from tests.governance.helpers import act, published_policy
from tests.languages.pseudo import visible_text

pytestmark = pytest.mark.django_db
ACKNOWLEDGE = "I have read and will follow this policy"
AGAIN = "Acknowledge it again"


def words(response) -> str:
    return " ".join(visible_text(response.content.decode()).split())


def day(value) -> str:
    return date_format(timezone.localtime(value), "DATE_FORMAT")


@pytest.fixture
def acknowledged(cast):
    policy, version = published_policy(cast)
    ack = services.acknowledgement_create(version=version, **act(cast.member))
    return policy, version, ack


def expires_in(cast, ack, delta: timedelta) -> Acknowledgement:
    with country_context(cast.fr):
        Acknowledgement.objects.filter(pk=ack.pk).update(expires_at=timezone.now() + delta)
        return Acknowledgement.objects.get(pk=ack.pk)


def test_the_page_says_when_the_reader_acknowledged_instead_of_asking_again(client, cast, acknowledged):
    policy, _, ack = acknowledged
    client.force_login(cast.member)
    text = words(client.get(f"/c/fr/governance/policies/{policy.pk}/"))
    assert (
        f"You acknowledged version 1 on {day(ack.at)}. Your acknowledgement holds until {day(ack.expires_at)}. "
        f"You can acknowledge it again from {day(ack.expires_at - timedelta(days=14))}." in text
    )
    assert ACKNOWLEDGE not in text and AGAIN not in text
    # Someone of the country who has not acknowledged it is asked to.
    client.force_login(cast.owner)
    text = words(client.get(f"/c/fr/governance/policies/{policy.pk}/"))
    assert ACKNOWLEDGE in text and "You acknowledged" not in text


@pytest.mark.parametrize("who", ["partner", "auditor"])
def test_those_who_do_not_acknowledge_read_only_the_version(client, cast, acknowledged, who):
    policy, _, _ = acknowledged
    client.force_login(getattr(cast, who))
    text = words(client.get(f"/c/fr/governance/policies/{policy.pk}/"))
    assert "Version 1 is published." in text
    assert ACKNOWLEDGE not in text and AGAIN not in text and "You acknowledged" not in text


def test_others_do_not_see_the_policy(client, cast, acknowledged):
    policy, _, _ = acknowledged
    client.force_login(cast.outsider)
    assert client.get(f"/c/fr/governance/policies/{policy.pk}/").status_code == 404
    client.logout()
    assert client.get(f"/c/fr/governance/policies/{policy.pk}/").status_code == 302


def test_in_its_last_days_it_can_be_acknowledged_again(client, cast, acknowledged):
    policy, version, ack = acknowledged
    ack = expires_in(cast, ack, timedelta(days=5))
    client.force_login(cast.member)
    listing = words(client.get("/c/fr/governance/policies/"))
    assert (
        f"Your acknowledgement of {policy.title} ends on {day(ack.expires_at)}: read it and acknowledge it again"
        in listing
    )
    assert "No policy is waiting for your acknowledgement." not in listing
    page = client.get(f"/c/fr/governance/policies/{policy.pk}/")
    assert AGAIN in words(page) and "You can acknowledge it again from" not in words(page)
    response = client.post(f"/c/fr/governance/policies/{policy.pk}/versions/1/acknowledge/")
    assert response.status_code == 302
    with country_context(cast.fr):
        renewed = Acknowledgement.objects.filter(user=cast.member, version=version).order_by("-expires_at").first()
    text = words(client.get(f"/c/fr/governance/policies/{policy.pk}/"))
    assert f"Your acknowledgement holds until {day(renewed.expires_at)}." in text and AGAIN not in text
    assert "ends on" not in words(client.get("/c/fr/governance/policies/"))


def test_an_expired_acknowledgement_is_asked_for_again(client, cast, acknowledged):
    policy, _, ack = acknowledged
    ack = expires_in(cast, ack, -timedelta(days=1))
    client.force_login(cast.member)
    text = words(client.get(f"/c/fr/governance/policies/{policy.pk}/"))
    assert f"Read version 1 and acknowledge it. Your acknowledgement expired on {day(ack.expires_at)}." in text
    assert ACKNOWLEDGE in text and "You acknowledged" not in text
