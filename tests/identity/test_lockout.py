"""Guessing (finding 5 of issue 12): wrong passwords are limited per account and per address
with a cool-off, across the sign-in page and the token API; a lockout is one event on the
platform chain, never one per failure (30 failures used to be 30 events)."""

from __future__ import annotations

import pytest

from tenants.record.models import PlatformEvent

pytestmark = pytest.mark.django_db


def platform_actions(after: int) -> list[str]:
    return list(PlatformEvent.objects.order_by("sequence").values_list("action", flat=True)[after:])


def test_thirty_wrong_passwords_are_one_lockout_event_not_thirty(client, cast):
    before = PlatformEvent.objects.count()
    statuses = [client.post("/accounts/login/", {"username": "member", "password": f"wrong-{i}"}) for i in range(30)]
    assert all(r.status_code == 200 for r in statuses)
    assert "Enter a correct username and password" in statuses[0].content.decode()
    assert "Too many failed sign-in attempts" in statuses[5].content.decode()  # the 6th guess is refused
    # Two lockouts began (the account after 5 guesses, the address after 20): two events, not 30.
    assert platform_actions(before) == ["auth.locked_out", "auth.locked_out"]
    account, address = PlatformEvent.objects.filter(action="auth.locked_out").order_by("sequence")
    assert account.payload == {"scope": "account", "known_account": True, "cool_off_seconds": 900}
    assert account.target_id == str(cast.member.pk)
    assert address.payload == {"scope": "address", "known_account": None, "cool_off_seconds": 900}
    # While it lasts, even the right password is refused, on the page and through the API.
    right = client.post("/accounts/login/", {"username": "member", "password": cast.password})
    assert "_auth_user_id" not in client.session and "Too many" in right.content.decode()
    api = client.post(
        "/api/v1/auth/token/", {"username": "member", "password": cast.password}, content_type="application/json"
    )
    assert api.status_code == 429
    assert platform_actions(before) == ["auth.locked_out", "auth.locked_out"]


def test_five_guesses_per_account_whichever_door(client, cast):
    for i in range(3):
        client.post("/accounts/login/", {"username": "viewer", "password": f"wrong-{i}"})
    for i in range(2):
        response = client.post(
            "/api/v1/auth/token/", {"username": "viewer", "password": f"wrong-{i}"}, content_type="application/json"
        )
        assert response.status_code == 400
    response = client.post(
        "/api/v1/auth/token/", {"username": "viewer", "password": cast.password}, content_type="application/json"
    )
    assert response.status_code == 429
    assert "Wait 15 minutes" in response.json()["detail"]


def test_a_spray_from_one_address_is_one_address_lockout(client, cast):
    from django.contrib.auth import get_user_model

    User = get_user_model()
    for i in range(25):
        User.objects.create_user(username=f"sprayed{i}", password="something-long-enough")
    before = PlatformEvent.objects.count()
    for i in range(25):
        client.post("/accounts/login/", {"username": f"sprayed{i}", "password": "Winter2026!"})
    assert platform_actions(before) == ["auth.locked_out"]
    assert PlatformEvent.objects.get(action="auth.locked_out").payload["scope"] == "address"
