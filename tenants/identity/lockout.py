"""Guessing: wrong passwords and wrong second-factor codes, on the sign-in page, its second-factor
step and POST /api/v1/auth/token/ together, are counted so that guessing stays expensive while no
one can lock the owner of an account out from somewhere else (settings.LOGIN_FAILED_LIMITS):

- per account from one address ("pair", 5 in 15 minutes): the account is held for that address
  only; failures from elsewhere, or for other accounts from the same address (a ministry behind one
  NAT), never refuse it;
- per account from every address ("account", 50 in 15 minutes): the ceiling against a guesser
  spread over many addresses; the account holder is told by mail (through the outbox);
- per address over every name ("address", 20 in 15 minutes): a spray from one address is recorded,
  and refuses no one: a right password for an account not itself held always gets through;
- per address, failures only ("flood", 300 in 15 minutes): the bound on a guesser trying many
  accounts from one address. Right passwords never count, so a ministry whose staff all sign in
  from one address at nine o'clock is never held by its own sign-ins (allauth's "login" limit of
  every request per address is off); only a flood of failures holds the address, for what is left
  of its window.

A refusal says how long is really left (hold_remaining, wait_words), never a fixed time.

A success rolls its own attempt back (a guesser cannot reset the counts by signing in to an account
of their own). A hold goes on the platform chain once, when it starts, never per failure: a spray
cannot grow the record without bound, nor queue on the chain's lock."""

from __future__ import annotations

import hashlib
import math
import time

from allauth.core.internal import ratelimit
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.utils.translation import gettext_lazy, ngettext

from tenants.record.ledger import platform_event_record

APP = "allauth.account"

CEILING_SUBJECT = gettext_lazy("Many wrong sign-in attempts on your account")
CEILING_BODY = gettext_lazy(
    "Someone has entered a wrong password or code for your account on the Sovereign AI Onboarding Portal "
    "many times, from several places. Sign-ins to your account are held for %(wait)s; then you can "
    "sign in as usual. If this was not you, reset your password once the hold ends and tell your country's "
    "administrator."
)
HELD = gettext_lazy(
    "Too many failed sign-in attempts for this account or from this address. Wait %(wait)s and try again, or "
    "reset your password."
)
HELD_API = gettext_lazy("Too many failed attempts for this account or from this address. Wait %(wait)s and try again.")


def attempt_key(request, username: str) -> str:
    """The account's key (allauth's own format: the site and the lowercased name)."""
    from allauth.account.adapter import get_adapter

    return get_adapter(request)._get_login_attempts_cache_key(request, username=username)


def _rule(scope: str) -> tuple[str, ratelimit.Rate]:
    """The action name and the rate of one scope, from settings.LOGIN_FAILED_LIMITS."""
    per = "ip" if scope in ("address", "flood") else "key"
    rate = ratelimit.parse_rate(f"{settings.LOGIN_FAILED_LIMITS[scope]}/{per}")
    return f"login_failed_{scope}", rate


def _config(scope: str) -> tuple[str, dict[str, str]]:
    action, rate = _rule(scope)
    return action, {action: f"{rate.amount}/{int(rate.duration)}s/{rate.per}"}


def _consume(request, scope: str, key: str | None):
    action, config = _config(scope)
    return ratelimit.consume(request, app=APP, action=action, key=key, config=config)


def _pair_key(request, account: str) -> str:
    return f"{account}|{ratelimit.get_ip(request)}"


def attempt_allowed(request, *, username: str):
    """Count one attempt; None when the account is held, for this address or everywhere (the hold is
    then recorded, once). The returned usage is rolled back when the attempt succeeds."""
    account = attempt_key(request, username)
    pair = _consume(request, "pair", _pair_key(request, account))
    if pair is None:
        _hold_record(request, scope="pair", username=username, marker=_pair_key(request, account))
        return None
    whole = _consume(request, "account", account)
    if whole is None:
        pair.rollback()  # refused before any check: it costs this address nothing
        _hold_record(request, scope="account", username=username, marker=account)
        return None
    flood = _consume(request, "flood", None)
    if flood is None:
        pair.rollback()
        whole.rollback()
        _hold_record(request, scope="flood", username=username, marker=ratelimit.get_ip(request))
        return None
    usage = ratelimit.RateLimitUsage(usage=[*pair.usage, *whole.usage, *flood.usage])
    address = _consume(request, "address", None)
    if address is None:
        _hold_record(request, scope="address", username=username, marker=ratelimit.get_ip(request))
    else:
        usage.usage.extend(address.usage)
    return usage


def attempt_failed(request, *, username: str) -> None:
    """A failure found after the password was right (a wrong second factor): it counts too."""
    attempt_allowed(request, username=username)


def _wait(request, scope: str, key: str | None) -> int:
    action, config = _config(scope)
    return rate_wait(request, action=action, config=config, key=key)


def rate_wait(request, *, action: str, config: dict[str, str] | None, key: str | None, rate=None) -> int:
    """Seconds until allauth's rate `config[action]` (or `rate`, one of its rates; config None:
    allauth's own limits) admits one more again (0: it does now): when the use that must leave the
    window for the count to fall under the limit leaves it."""
    rate = rate or ratelimit.get_rates(app=APP, action=action, config=config)[0]
    history = cache.get(ratelimit.get_cache_key(request, app=APP, action=action, rate=rate, key=key)) or []
    now = time.time()
    live = sorted((at for at in history if at > now - rate.duration), reverse=True)
    if len(live) < rate.amount:
        return 0
    return max(0, math.ceil(live[rate.amount - 1] + rate.duration - now))


# allauth's own limits (settings.ACCOUNT_RATE_LIMITS) by the name of the page that counts them.
FLOOD_ACTIONS = {
    "account_login": "login",
    "account_signup": "signup",
    "account_reset_password": "reset_password",
    "account_reset_password_from_key": "reset_password_from_key",
    "account_change_password": "change_password",
    "account_reauthenticate": "reauthenticate",
    "account_email": "manage_email",
}


def flood_wait(request) -> tuple[int, bool]:
    """(seconds, exact) until the allauth limit that refused this request admits it again: the time
    really left (exact) when its counts can be read (per address; per account when signed in; per
    email address when the form names one), else the longest window of the page's limits (or of
    all of them, for a page not known here), which no wait exceeds."""
    action = FLOOD_ACTIONS.get(getattr(request.resolver_match, "url_name", None) or "")
    rates = ratelimit.get_rates(app=APP, action=action) if action else []
    email = (request.POST.get("email") or "").strip().lower() if request.method == "POST" else ""
    waits = [0]
    for rate in rates:
        if rate.per == "user" and not request.user.is_authenticated or rate.per == "key" and not email:
            continue
        waits.append(rate_wait(request, action=action, config=None, key=email or None, rate=rate))
    if max(waits):
        return max(waits), True
    if not rates:
        from allauth.account import app_settings

        rates = [rate for name in app_settings.RATE_LIMITS for rate in ratelimit.get_rates(app=APP, action=name)]
    return math.ceil(max((rate.duration for rate in rates), default=60)), False


def hold_remaining(request, *, username: str) -> int:
    """Seconds until this account may be tried again from this address: the longest of the holds."""
    account = attempt_key(request, username)
    keys = {"pair": _pair_key(request, account), "account": account, "flood": None}
    return max(_wait(request, scope, key) for scope, key in keys.items())


def wait_words(seconds: float) -> str:
    """A wait in words a person reads at once, in the active language: whole minutes, rounded up
    (never "0 minutes"), or whole hours from two hours on."""
    minutes = max(1, math.ceil(seconds / 60))
    if minutes >= 120:
        hours = math.ceil(minutes / 60)
        return ngettext("%(count)s hour", "%(count)s hours", hours) % {"count": hours}
    return ngettext("%(count)s minute", "%(count)s minutes", minutes) % {"count": minutes}


def held_message(request, *, username: str, api: bool = False) -> str:
    """Why this attempt is refused, with the time really left."""
    wait = wait_words(hold_remaining(request, username=username))
    return str(HELD_API if api else HELD) % {"wait": wait}


def _hold_record(request, *, scope: str, username: str, marker: str) -> bool:
    """Record a hold that has just started, once for as long as it lasts; the account's holder is
    told when their account reaches the ceiling from every address. No name or address is written:
    the cache marker is a digest, and the event names the account by its id."""
    _action, rate = _rule(scope)
    digest = hashlib.sha256(f"{scope}:{marker}".encode()).hexdigest()
    if not cache.add(f"portal:lockout:{digest}", 1, timeout=int(rate.duration)):
        return False
    account = None
    if scope in ("pair", "account"):
        account = get_user_model().objects.filter(username=username).first()
    platform_event_record(
        action="auth.locked_out",
        target=account,
        payload={
            "scope": {
                "pair": "account_address",
                "account": "account",
                "address": "address_flagged",
                "flood": "address",
            }[scope],
            "known_account": account is not None if scope in ("pair", "account") else None,
            "cool_off_seconds": int(rate.duration),
        },
    )
    if scope == "account" and account is not None and account.is_active:
        from tenants.notifications.mail import mail_to_user

        seconds = hold_remaining(request, username=username) or rate.duration
        mail_to_user(account, subject=CEILING_SUBJECT, body=lambda: str(CEILING_BODY) % {"wait": wait_words(seconds)})
    return True
