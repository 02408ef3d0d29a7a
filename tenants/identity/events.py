"""Sign-in's events on the platform chain in words (auth.*: sign-ins, lockouts, tokens, revocations,
second factors) and the platform admins' changes to accounts (account.*), registered like every
app's (tenants.record.events.events_register) from TenantsConfig.ready(). A payload's codes are read
through their labels, never shown as keys."""

from __future__ import annotations

from django.utils.translation import gettext, gettext_lazy, ngettext

LABELS = {
    "account.flags_changed": gettext_lazy("Account's platform rights changed"),
    "account.groups_changed": gettext_lazy("Account's platform groups changed"),
}
# How a person signed in (auth.signed_in's `via`).
SIGNED_IN_VIA = {"browser": gettext_lazy("In a browser"), "api-token": gettext_lazy("Through the API")}
# Why a person's sessions and tokens were revoked (auth.credentials_revoked's `reason`, a code).
REVOKED_BECAUSE = {
    "password_changed": gettext_lazy("Their password changed"),
    "second_factor_changed": gettext_lazy("Their second factor changed"),
    "second_factor_reset": gettext_lazy("Their second factor was reset"),
    "deactivated": gettext_lazy("Their account was deactivated"),
}
# The account flags a platform admin may change (account.flags_changed), in words.
FLAGS = {
    "is_superuser": gettext_lazy("platform admin"),
    "is_staff": gettext_lazy("access to the admin"),
    "is_active": gettext_lazy("active"),
}


def _count(value) -> int:
    if isinstance(value, list):
        return len(value)
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _auth(action: str, payload: dict) -> str:
    if action == "auth.signed_in":
        return str(SIGNED_IN_VIA.get(payload.get("via"), ""))
    if action == "auth.locked_out":
        minutes = max(1, _count(payload.get("cool_off_seconds")) // 60)
        scope = payload.get("scope")
        if scope == "address":  # an address held, everyone behind it: past its flood of failures
            text = ngettext(
                "Sign-ins from one address held for %(count)s minute",
                "Sign-ins from one address held for %(count)s minutes",
                minutes,
            )
        elif scope == "address_flagged":
            text = ngettext(
                "Many failed sign-ins from one address within %(count)s minute (no one held)",
                "Many failed sign-ins from one address within %(count)s minutes (no one held)",
                minutes,
            )
        elif scope == "account_address":
            text = ngettext(
                "Sign-ins to one account from one address held for %(count)s minute",
                "Sign-ins to one account from one address held for %(count)s minutes",
                minutes,
            )
        else:
            text = ngettext(
                "Sign-ins to one account held for %(count)s minute",
                "Sign-ins to one account held for %(count)s minutes",
                minutes,
            )
        return text % {"count": minutes}
    if action == "auth.personal_token_created":
        days, countries = _count(payload.get("days")), _count(payload.get("countries"))
        text = (
            ngettext("Read only, for %(days)s day", "Read only, for %(days)s days", days)
            if payload.get("read_only") is True
            else ngettext("For %(days)s day", "For %(days)s days", days)
        ) % {"days": days}
        if not countries:
            return text
        return ngettext("%(text)s; %(count)s country", "%(text)s; %(count)s countries", countries) % {
            "text": text,
            "count": countries,
        }
    if action == "auth.personal_token_revoked":
        token = payload.get("id")
        return gettext("Token no. %(id)s") % {"id": token} if isinstance(token, int) else ""
    if action == "auth.api_tokens_revoked":
        count = _count(payload.get("ids"))
        return ngettext("%(count)s token", "%(count)s tokens", count) % {"count": count}
    if action == "auth.credentials_revoked":
        tokens, sessions = _count(payload.get("bearers_revoked")), _count(payload.get("sessions_ended"))
        because = REVOKED_BECAUSE.get(payload.get("reason"))
        text = gettext("tokens revoked: %(tokens)s; sessions ended: %(sessions)s") % {
            "tokens": tokens,
            "sessions": sessions,
        }
        return gettext("%(because)s (%(text)s)") % {"because": because, "text": text} if because else text
    if action == "auth.second_factor_reset":
        count = _count(payload.get("removed"))
        return ngettext("%(count)s second factor removed", "%(count)s second factors removed", count) % {"count": count}
    return ""  # auth.api_token_issued: the event says it all


def _account(action: str, payload: dict) -> str:
    if action == "account.groups_changed":
        added, removed = _count(payload.get("added")), _count(payload.get("removed"))
        return gettext("%(added)s added, %(removed)s removed") % {"added": added, "removed": removed}
    changes = []
    for flag, label in FLAGS.items():
        change = payload.get(flag)
        if isinstance(change, dict) and isinstance(change.get("to"), bool):
            changes.append(
                (gettext("%(flag)s: now yes") if change["to"] else gettext("%(flag)s: now no")) % {"flag": label}
            )
    return "; ".join(changes)


def register() -> None:
    from tenants.record.events import events_register

    events_register(labels=LABELS, details={"auth": _auth, "account": _account})
