"""Ending a person's sessions and tokens: when their password changes, their second factor is
reset or removed, or their account is deactivated (deletion removes both with the account)."""

from __future__ import annotations

from allauth.mfa.models import Authenticator
from allauth.usersessions.models import UserSession
from django.db import transaction

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
