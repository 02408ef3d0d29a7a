"""Guessing: wrong passwords are counted per account and per address by allauth's rate limits
(ACCOUNT_RATE_LIMITS["login_failed"], shared by the sign-in page and POST /api/v1/auth/token/),
with a cool-off. A lockout goes on the platform chain once, when it starts, never per failure: a
password spray cannot grow the record without bound, nor queue on the chain's lock."""

from __future__ import annotations

import hashlib

from allauth.core.internal import ratelimit
from django.contrib.auth import get_user_model
from django.core.cache import cache

from tenants.record.ledger import platform_event_record

APP = "allauth.account"
ACTION = "login_failed"


def attempt_key(request, username: str) -> str:
    """The per-account key allauth counts failures under (its own format, so both doors share it)."""
    from allauth.account.adapter import get_adapter

    return get_adapter(request)._get_login_attempts_cache_key(request, username=username)


def attempt_allowed(request, *, username: str):
    """Count one attempt; None when the account or the address is cooling off (the lockout is
    then recorded, once). The returned usage is rolled back on success."""
    usage = ratelimit.consume(request, app=APP, action=ACTION, key=attempt_key(request, username))
    if not usage:
        lockout_record(request, username=username)
    return usage


def attempt_failed(request, *, username: str) -> None:
    """A failure found after the password was right (a wrong second factor): it counts too."""
    if not ratelimit.consume(request, app=APP, action=ACTION, key=attempt_key(request, username)):
        lockout_record(request, username=username)


def _locked(request, key: str) -> list[ratelimit.Rate]:
    config = ratelimit.get_rates(app=APP, action=ACTION)
    locked = []
    for rate in config:
        if rate.per not in {"ip", "key"}:
            continue
        rule = f"{rate.amount}/{int(rate.duration)}s/{rate.per}"
        probe = ratelimit.consume(request, app=APP, action=ACTION, key=key, dry_run=True, config={ACTION: rule})
        if probe is None:
            locked.append(rate)
    return locked


def lockout_record(request, *, username: str) -> int:
    """Record each lockout that has just started (per account, per address): one event for as
    long as it lasts, however many guesses follow. Returns how many events were written."""
    key = attempt_key(request, username)
    written = 0
    for rate in _locked(request, key):
        if rate.per == "key":
            marker = "account:" + hashlib.sha256(key.encode()).hexdigest()
        else:
            marker = "address:" + hashlib.sha256(ratelimit.get_ip(request).encode()).hexdigest()
        if not cache.add(f"portal:lockout:{marker}", 1, timeout=int(rate.duration)):
            continue
        account = None
        if rate.per == "key":
            account = get_user_model().objects.filter(username=username).only("pk").first()
        platform_event_record(
            action="auth.locked_out",
            target=account,
            payload={
                "scope": "account" if rate.per == "key" else "address",
                "known_account": account is not None if rate.per == "key" else None,
                "cool_off_seconds": int(rate.duration),
            },
        )
        written += 1
    return written
