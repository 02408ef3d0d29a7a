"""Bearer tokens for the API: issued by POST /api/v1/auth/token/, expiring, stored as SHA-256."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from rest_framework import authentication, exceptions

from tenants.identity.models import ApiToken

TOKEN_PREFIX = "pat_"


def token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def api_token_issue(*, user) -> tuple[str, ApiToken]:
    """A new token for `user`. The raw value is returned once and never stored."""
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        key_hash=token_hash(raw),
        prefix=raw[len(TOKEN_PREFIX) : len(TOKEN_PREFIX) + 8],
        expires_at=timezone.now() + timedelta(hours=settings.API_TOKEN_TTL_HOURS),
    )
    return raw, token


def _bearer_value(request) -> str | None:
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer":
        return None
    return value.strip()


def user_from_bearer(request) -> tuple[object, ApiToken] | None:
    """The (user, token) of a valid bearer token on the request, or None."""
    raw = _bearer_value(request)
    if not raw:
        return None
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=token_hash(raw), revoked_at__isnull=True, expires_at__gt=timezone.now())
        .first()
    )
    if token is None or not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=5):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user, token


class BearerTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        if _bearer_value(request) is None:
            return None
        # Resolved once, by CountryScopeMiddleware, before the country context is opened.
        resolved = getattr(request._request, "portal_bearer", None)
        if resolved is None:
            raise exceptions.AuthenticationFailed(
                "This bearer token is not valid: it is unknown, expired or revoked. "
                "Ask for a new one at POST /api/v1/auth/token/."
            )
        return resolved

    def authenticate_header(self, request) -> str:
        return 'Bearer realm="api"'
