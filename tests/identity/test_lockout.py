"""Guessing (finding 5 of issue 12, and the lockout denial of service after it): wrong passwords
and codes are limited per account from one address, with a much higher ceiling per account from
every address, across the sign-in page, its second-factor step and the token API. Failures for other
accounts from the same address, or for the same account from other addresses, never refuse the
owner. A hold is one event on the platform chain, never one per failure."""

from __future__ import annotations

import pytest

from tenants.notifications.models import OutgoingMail
from tenants.record.models import PlatformEvent
from tests.identity.helpers import give_totp, totp_code

pytestmark = pytest.mark.django_db

NAT = "203.0.113.7"  # a ministry's offices behind one address
ELSEWHERE = "198.51.100.20"


def platform_actions(after: int) -> list[str]:
    return list(PlatformEvent.objects.order_by("sequence").values_list("action", flat=True)[after:])


def holds(after: int) -> list[dict]:
    return [e.payload for e in PlatformEvent.objects.filter(action="auth.locked_out").order_by("sequence")][after:]


def sign_in(client, username: str, password: str, address: str):
    return client.post("/accounts/login/", {"username": username, "password": password}, REMOTE_ADDR=address)


def token(client, username: str, password: str, address: str, **extra):
    return client.post(
        "/api/v1/auth/token/",
        {"username": username, "password": password, **extra},
        content_type="application/json",
        REMOTE_ADDR=address,
    )


def test_thirty_wrong_passwords_are_one_hold_event_not_thirty(client, cast):
    before = PlatformEvent.objects.count()
    statuses = [sign_in(client, "member", f"wrong-{i}", NAT) for i in range(30)]
    assert all(r.status_code == 200 for r in statuses)
    assert "Enter a correct username and password" in statuses[4].content.decode()
    assert "Too many failed sign-in attempts" in statuses[5].content.decode()  # the 6th guess is refused
    assert platform_actions(before) == ["auth.locked_out"]
    event = PlatformEvent.objects.get(action="auth.locked_out")
    assert event.payload == {"scope": "account_address", "known_account": True, "cool_off_seconds": 900}
    assert event.target_id == str(cast.member.pk)
    # From that address, even the right password is refused while it lasts, on the page and the API.
    right = sign_in(client, "member", cast.password, NAT)
    assert "_auth_user_id" not in client.session and "Too many" in right.content.decode()
    assert token(client, "member", cast.password, NAT).status_code == 429
    assert platform_actions(before) == ["auth.locked_out"]


def test_made_up_names_from_one_address_do_not_stop_a_real_account_there(client, cast):
    before = PlatformEvent.objects.count()
    # 24 failures (under the page's flood limit of 30 requests a minute from one address, which the
    # finding is not about), past the address's 20.
    for i in range(20):
        assert "Enter a correct username" in sign_in(client, f"nobody{i}", "Winter2026!", NAT).content.decode()
    for i in range(4):
        assert token(client, f"nobody-api{i}", "Winter2026!", NAT).status_code == 400
    # The address is flagged once on the chain, and holds no one.
    assert holds(0) == [{"scope": "address_flagged", "known_account": None, "cool_off_seconds": 900}]
    response = sign_in(client, "member", cast.password, NAT)
    assert response.status_code == 302 and int(client.session["_auth_user_id"]) == cast.member.pk
    assert token(client, "viewer", cast.password, NAT).status_code == 200
    assert platform_actions(before).count("auth.locked_out") == 1


def test_five_failures_from_one_address_hold_the_account_there_only(client, cast):
    for i in range(5):
        sign_in(client, "partner", f"wrong-{i}", NAT)
    assert "Too many" in sign_in(client, "partner", cast.password, NAT).content.decode()
    assert token(client, "partner", cast.password, NAT).status_code == 429
    # The partner manager, elsewhere, signs in: the guesser cannot lock them out from their address.
    response = sign_in(client, "partner", cast.password, ELSEWHERE)
    assert response.status_code == 302 and int(client.session["_auth_user_id"]) == cast.partner.pk
    assert token(client, "partner", cast.password, ELSEWHERE).status_code == 200


def test_five_guesses_per_account_from_one_address_whichever_door(client, cast):
    for i in range(3):
        sign_in(client, "viewer", f"wrong-{i}", NAT)
    for i in range(2):
        assert token(client, "viewer", f"wrong-{i}", NAT).status_code == 400
    response = token(client, "viewer", cast.password, NAT)
    assert response.status_code == 429
    assert "Wait 15 minutes" in response.json()["detail"]


def test_a_guesser_spread_over_many_addresses_meets_the_ceiling_and_the_holder_is_told(client, cast):
    before = PlatformEvent.objects.count()
    mails = OutgoingMail.objects.count()
    for n in range(10):  # 10 addresses × 5 guesses: each under its own limit, 50 in all
        for i in range(5):
            assert "Enter a correct" in sign_in(client, "owner", f"wrong-{n}-{i}", f"10.9.{n}.1").content.decode()
    # The 51st guess, from yet another address, meets the ceiling: held everywhere, right or wrong.
    assert "Too many" in sign_in(client, "owner", "wrong-again", "10.9.99.1").content.decode()
    assert "Too many" in sign_in(client, "owner", cast.password, "10.9.98.1").content.decode()
    assert "_auth_user_id" not in client.session
    assert token(client, "owner", cast.password, "10.9.97.1").status_code == 429
    assert holds(0) == [{"scope": "account", "known_account": True, "cool_off_seconds": 900}]
    assert platform_actions(before) == ["auth.locked_out"]
    # Its holder is told once, through the outbox (a mail written with the refusal, sent by a worker).
    told = OutgoingMail.objects.order_by("pk")[mails:]
    assert [m.to for m in told] == [cast.owner.email]
    assert "Many wrong sign-in attempts" in told[0].subject
    # Other accounts are untouched.
    assert sign_in(client, "member", cast.password, "10.9.99.1").status_code == 302


def test_wrong_second_factor_codes_count_per_account_and_address(client, cast):
    give_totp(cast.partner)
    wrong = "000000" if totp_code() != "000000" else "111111"
    for _ in range(5):
        response = sign_in(client, "partner", cast.password, NAT)
        assert response["Location"].startswith("/accounts/2fa/authenticate/")
        page = client.post("/accounts/2fa/authenticate/", {"code": wrong}, REMOTE_ADDR=NAT)
        assert page.status_code == 200 and "_auth_user_id" not in client.session
    # From that address the account is now held, at the code and at the password.
    held = client.post("/accounts/2fa/authenticate/", {"code": totp_code()}, REMOTE_ADDR=NAT)
    assert "Too many" in held.content.decode() and "_auth_user_id" not in client.session
    assert "Too many" in sign_in(client_class_new(client), "partner", cast.password, NAT).content.decode()
    assert token(client, "partner", cast.password, NAT, otp=totp_code()).status_code == 429
    # Its owner, elsewhere, signs in with the password and the right code.
    other = client_class_new(client)
    assert sign_in(other, "partner", cast.password, ELSEWHERE)["Location"].startswith("/accounts/2fa/authenticate/")
    right = other.post("/accounts/2fa/authenticate/", {"code": totp_code()}, REMOTE_ADDR=ELSEWHERE)
    assert right.status_code == 302 and int(other.session["_auth_user_id"]) == cast.partner.pk


def test_wrong_codes_through_the_api_count_too(client, cast):
    give_totp(cast.partner)
    wrong = "000000" if totp_code() != "000000" else "111111"
    for _ in range(5):
        assert token(client, "partner", cast.password, NAT, otp=wrong).status_code == 401
    assert token(client, "partner", cast.password, NAT, otp=totp_code()).status_code == 429
    assert token(client, "partner", cast.password, ELSEWHERE, otp=totp_code()).status_code == 200


def test_a_spray_from_one_address_is_flagged_once_and_holds_no_one(client, cast):
    from django.contrib.auth import get_user_model

    User = get_user_model()
    for i in range(25):
        User.objects.create_user(username=f"sprayed{i}", password="something-long-enough")
    before = PlatformEvent.objects.count()
    for i in range(25):
        sign_in(client, f"sprayed{i}", "Winter2026!", NAT)
    assert platform_actions(before) == ["auth.locked_out"]
    assert PlatformEvent.objects.get(action="auth.locked_out").payload["scope"] == "address_flagged"
    assert sign_in(client, "sprayed3", "something-long-enough", NAT).status_code == 302


def client_class_new(client):
    return type(client)()
