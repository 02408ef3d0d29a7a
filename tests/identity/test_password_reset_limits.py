"""Asking for a password reset: a stranger asking for the holder's address cannot use up the holder's
asking (it is counted per email address from one network address), while the mails one address
receives stay bounded whoever asks; the holder is told to use a link already sent, which works."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client

from tenants.identity.models import PasswordResetRequest
from tests.conftest import deliver_mail
from tests.identity.helpers import answer_password_resets

pytestmark = pytest.mark.django_db

HOME = "203.0.113.60"
STRANGER = "198.51.100.61"


def ask(address: str, network: str):
    return Client().post("/accounts/password/reset/", {"email": address}, REMOTE_ADDR=network, follow=True)


def test_a_stranger_asking_for_the_holders_address_does_not_use_up_the_holders_asking(cast):
    for _ in range(3):
        assert ask("member@example.org", STRANGER).redirect_chain[-1][0] == "/accounts/password/reset/done/"
    refused = ask("member@example.org", STRANGER)
    assert refused.redirect_chain == [] and "You have already asked several times" in refused.content.decode()
    assert "You can ask again in 15 minutes" in refused.content.decode()
    assert PasswordResetRequest.objects.count() == 3
    # The holder, from their own office, still asks, and their request is answered.
    answer = ask("member@example.org", HOME)
    assert answer.status_code == 200 and answer.redirect_chain[-1][0] == "/accounts/password/reset/done/"
    assert PasswordResetRequest.objects.count() == 4


def test_the_mails_one_address_receives_are_bounded_and_the_holder_uses_one_already_sent(cast, settings):
    settings.PORTAL_BASE_URL = "https://portal.example.gov"
    for n in range(7):  # a stranger hopping over seven network addresses
        ask("member@example.org", f"198.51.100.{70 + n}")
    assert PasswordResetRequest.objects.count() == 5  # five mails an hour, whoever asks
    answer_password_resets()
    deliver_mail()
    assert len(mail.outbox) == 5
    # The holder asks: no sixth mail, and the page says why and what to do.
    page = ask("member@example.org", HOME).content.decode()
    assert "No new mail is sent now" in page and "use the link in the latest of them" in page
    assert not PasswordResetRequest.objects.exists()
    # A link the stranger caused to be sent works for the holder, who reads their own mailbox.
    link = re.findall(r"https://portal\.example\.gov(/accounts/password/reset/key/\S+)", mail.outbox[-1].body)[0]
    client = Client()
    form = client.get(link, follow=True)
    done = client.post(
        form.redirect_chain[-1][0], {"password1": "a-fresh-long-password-9", "password2": "a-fresh-long-password-9"}
    )
    assert done.status_code == 302
    cast.member.refresh_from_db()
    assert cast.member.check_password("a-fresh-long-password-9")


def test_an_address_with_no_account_is_counted_the_same(cast):
    for n in range(6):
        ask("nobody@example.org", f"198.51.100.{90 + n}")
    assert PasswordResetRequest.objects.count() == 5
    assert "No new mail is sent now" in ask("nobody@example.org", HOME).content.decode()
