"""Every way a person is signed in, ended at once: their API tokens revoked and their browser
sessions deleted. Called when a person is erased; the one place to add any new kind of sign-in
(second-factor devices, remembered browsers, single-sign-on sessions) so that it is revoked too."""

from __future__ import annotations

from django.contrib.sessions.models import Session
from django.utils import timezone

from tenants.identity.models import ApiToken

SESSION_BATCH = 2000


def _sessions_of(user_id: int) -> list[str]:
    """Session keys whose data names this person. Django's database sessions are opaque rows, so
    each live one is decoded; expired ones are left to clearsessions."""
    keys = []
    live = Session.objects.filter(expire_date__gt=timezone.now()).order_by("session_key")
    for session in live.iterator(chunk_size=SESSION_BATCH):
        if session.get_decoded().get("_auth_user_id") == str(user_id):
            keys.append(session.session_key)
    return keys


def person_access_revoke(*, user) -> dict[str, int]:
    """Revoke every token and end every session of `user`. Returns how many of each."""
    tokens = ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=timezone.now())
    keys = _sessions_of(user.pk)
    sessions, _ = Session.objects.filter(session_key__in=keys).delete()
    return {"api_tokens": tokens, "sessions": sessions}
