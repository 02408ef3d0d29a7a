"""A ministry behind one address: its staff's right passwords never count against the address, so
any number of them sign in at once; what bounds a guesser there is the address's failures (and the
counts per account). Every way of answering at sign-in (password, code, passkey) is counted the
same, and a refusal says the time really left, in the reader's language."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth import get_user_model
from django.test import Client, RequestFactory

from tenants.record.models import PlatformEvent
from tests.identity.helpers import passkey_register

pytestmark = pytest.mark.django_db

NAT = "203.0.113.40"
ELSEWHERE = "198.51.100.41"


def sign_in(client, username: str, password: str, address: str = NAT, **extra):
    return client.post("/accounts/login/", {"username": username, "password": password}, REMOTE_ADDR=address, **extra)


def test_forty_colleagues_sign_in_from_one_address_within_a_minute(cast):
    User = get_user_model()
    for i in range(40):
        User.objects.create_user(username=f"agent{i}", password="a-long-enough-password-1")
    answers = []
    for i in range(40):
        client = Client()
        answers.append(sign_in(client, f"agent{i}", "a-long-enough-password-1").status_code)
    assert answers == [302] * 40  # the old limit of every request per address refused the 31st


def test_a_flood_of_failures_from_one_address_holds_it_and_is_recorded_once(client, settings, cast):
    settings.LOGIN_FAILED_LIMITS = {**settings.LOGIN_FAILED_LIMITS, "flood": "12/15m"}
    for i in range(12):  # twelve made-up names, each far under its own limit
        assert "Enter a correct username" in sign_in(client, f"made-up-{i}", "Winter2026!").content.decode()
    # Now even a right password from that address is refused (a guesser would learn from it)...
    held = sign_in(client, "member", cast.password)
    assert "Too many failed sign-in attempts" in held.content.decode() and "_auth_user_id" not in client.session
    token = client.post(
        "/api/v1/auth/token/",
        {"username": "viewer", "password": cast.password},
        content_type="application/json",
        REMOTE_ADDR=NAT,
    )
    assert token.status_code == 429
    # ...recorded once, naming no account; and the same person elsewhere signs in.
    events = PlatformEvent.objects.filter(action="auth.locked_out", payload__scope="address")
    assert [e.payload for e in events] == [{"scope": "address", "known_account": None, "cool_off_seconds": 900}]
    assert sign_in(Client(), "member", cast.password, ELSEWHERE).status_code == 302


def _passkey_answer() -> str:
    return json.dumps(
        {
            "id": "AAAAAAAAAAAAAAAAAAAAAA",
            "rawId": "AAAAAAAAAAAAAAAAAAAAAA",
            "type": "public-key",
            "response": {"clientDataJSON": "e30", "authenticatorData": "AAAA", "signature": "AAAA"},
            "clientExtensionResults": {},
        }
    )


def test_wrong_passkey_answers_at_the_second_factor_step_are_counted(cast):
    owner_client = Client()
    owner_client.force_login(cast.partner)
    passkey_register(owner_client, "Office key")
    client = Client()
    for _ in range(5):
        response = sign_in(client, "partner", cast.password)
        assert response["Location"].startswith("/accounts/2fa/authenticate/")
        assert client.get("/accounts/2fa/authenticate/", REMOTE_ADDR=NAT).status_code == 200
        wrong = client.post("/accounts/2fa/authenticate/", {"credential": _passkey_answer()}, REMOTE_ADDR=NAT)
        assert wrong.status_code == 200 and "Too many" not in wrong.content.decode()
        assert "_auth_user_id" not in client.session
    held = client.post("/accounts/2fa/authenticate/", {"credential": _passkey_answer()}, REMOTE_ADDR=NAT)
    assert "Too many failed sign-in attempts" in held.content.decode()
    # The account is held from that address at the password too, and not elsewhere.
    assert "Too many" in sign_in(Client(), "partner", cast.password).content.decode()
    assert sign_in(Client(), "partner", cast.password, ELSEWHERE)["Location"].startswith("/accounts/2fa/")


def _age_attempts(username: str, seconds: int) -> None:
    """Move the attempts of `username` from NAT back in time, as if `seconds` had gone by."""
    from allauth.core.internal import ratelimit
    from django.core.cache import cache

    from tenants.identity import lockout

    request = RequestFactory().post("/", REMOTE_ADDR=NAT)
    account = lockout.attempt_key(request, username)
    for scope, key in (("pair", lockout._pair_key(request, account)), ("account", account), ("flood", None)):
        action, config = lockout._config(scope)
        rate = ratelimit.get_rates(app=lockout.APP, action=action, config=config)[0]
        cache_key = ratelimit.get_cache_key(request, app=lockout.APP, action=action, rate=rate, key=key)
        cache.set(cache_key, [at - seconds for at in cache.get(cache_key) or []], rate.duration)


def test_the_refusal_says_the_time_really_left_in_the_readers_language(client, cast):
    for i in range(5):
        sign_in(client, "member", f"wrong-{i}")
    assert "Wait 15 minutes" in sign_in(client, "member", cast.password).content.decode()
    _age_attempts("member", 11 * 60 + 30)  # 11½ minutes later: 3½ left, said as 4
    page = sign_in(client, "member", cast.password).content.decode()
    assert "Wait 4 minutes and try again" in page and "15 minutes" not in page
    french = sign_in(Client(), "member", cast.password, HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Attendez 4 minutes" in french
    api = Client().post(
        "/api/v1/auth/token/",
        {"username": "member", "password": cast.password},
        content_type="application/json",
        REMOTE_ADDR=NAT,
    )
    assert api.status_code == 429 and "Wait 4 minutes" in api.json()["detail"]
    assert 180 < int(api["Retry-After"]) <= 210
    _age_attempts("member", 4 * 60)
    assert sign_in(Client(), "member", cast.password).status_code == 302


def test_a_wait_in_words():
    from django.utils import translation

    from tenants.identity.lockout import wait_words

    assert [wait_words(s) for s in (1, 60, 61, 3599, 7200, 7201)] == [
        "1 minute",
        "1 minute",
        "2 minutes",
        "60 minutes",
        "2 hours",
        "3 hours",
    ]
    with translation.override("fr"):
        assert wait_words(120) == "2 minutes" and wait_words(3 * 3600) == "3 heures"
