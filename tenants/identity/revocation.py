"""Ending a person's sessions and tokens: when their password changes, their second factor is
reset or removed, or their account is deactivated (deletion removes both with the account); and
every way a person is signed in, ended at once, when they are erased (`person_access_revoke`: the
one place to add any new kind of sign-in so that erasure revokes it too)."""

from __future__ import annotations

from allauth.mfa.models import Authenticator
from allauth.socialaccount.models import SocialAccount
from allauth.usersessions.models import UserSession
from django.contrib.sessions.models import Session
from django.db import transaction
from django.utils import timezone

from tenants.identity.sessions import session_end
from tenants.identity.tokens import tokens_revoke_all
from tenants.record.ledger import platform_event_record


def credentials_revoke(*, user, reason: str, keep_session_key: str | None = None, by=None) -> tuple[int, int]:
    """Revoke every token and end every session of `user` but the one named (the person's own,
    when they changed their password themselves). Returns (tokens, sessions)."""
    token_count = tokens_revoke_all(user_id=user.pk)
    session_count = 0
    for session in UserSession.objects.filter(user_id=user.pk):
        if keep_session_key and session.session_key == keep_session_key:
            continue
        session.end()
        session_count += 1
    if token_count or session_count:
        platform_event_record(
            action="auth.credentials_revoked",
            actor=by,
            target=user,
            payload={"reason": reason, "bearers_revoked": token_count, "sessions_ended": session_count},
        )
    return token_count, session_count


@transaction.atomic
def second_factor_reset(*, user, by) -> int:
    """A platform admin resets a person's second factors (a lost phone or key): every
    authenticator goes, and so do the person's sessions and tokens. On the platform chain."""
    removed, _ = Authenticator.objects.filter(user_id=user.pk).delete()
    platform_event_record(
        action="auth.second_factor_reset", actor=by, actor_role="platform", target=user, payload={"removed": removed}
    )
    credentials_revoke(user=user, reason="second_factor_reset", by=by)
    return removed


SESSION_BATCH = 2000


def _sessions_of(user_id: int) -> list[str]:
    """Session keys whose data names this person (Django's database sessions are opaque rows, so
    each live one is decoded; expired ones are left to clearsessions)."""
    keys = []
    live = Session.objects.filter(expire_date__gt=timezone.now()).order_by("session_key")
    for session in live.iterator(chunk_size=SESSION_BATCH):
        if session.get_decoded().get("_auth_user_id") == str(user_id):
            keys.append(session.session_key)
    return keys


def person_access_revoke(*, user) -> dict[str, int]:
    """End every way `user` is signed in, for their erasure: tokens revoked, sessions ended (allauth's
    and any Django session naming them), second-factor devices and government sign-in links removed.
    Returns how many of each."""
    tokens = tokens_revoke_all(user_id=user.pk)
    user_sessions = 0
    for session in UserSession.objects.filter(user_id=user.pk):
        session.end()
        user_sessions += 1
    # Through the session store, which deletes the cache's copy too (tenants.identity.sessions).
    named = _sessions_of(user.pk)
    for key in named:
        session_end(key)
    sessions = len(named)
    authenticators, _ = Authenticator.objects.filter(user_id=user.pk).delete()
    links, _ = SocialAccount.objects.filter(user_id=user.pk).delete()
    return {
        "api_tokens": tokens,
        "sessions": max(sessions, user_sessions),
        "second_factors": authenticators,
        "sign_in_links": links,
    }
