"""Bearer tokens for the API, stored as SHA-256: issued by POST /api/v1/auth/token/ (hours, the
person's whole access) or made on the account page as personal access tokens (named, limited to
some countries and to reading or read-write, at most PERSONAL_TOKEN_MAX_DAYS), listed and revocable.
Changing the password, resetting the second factor, deactivation and removal revoke them all."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import authentication, exceptions

from tenants.access import Access, access_changed, cache_for_person, cached_for_person
from tenants.errors import ServiceError
from tenants.identity.models import ApiToken
from tenants.record.ledger import platform_event_record
from tenants.record.reasons import reason_clean

TOKEN_PREFIX = "pat_"
NAME_MAX = 100


def token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def _new_raw() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def api_token_issue(*, user) -> tuple[str, ApiToken]:
    """A new token for `user`. The raw value is returned once and never stored."""
    raw = _new_raw()
    token = ApiToken.objects.create(
        user=user,
        key_hash=token_hash(raw),
        prefix=raw[len(TOKEN_PREFIX) : len(TOKEN_PREFIX) + 8],
        expires_at=timezone.now() + timedelta(hours=settings.API_TOKEN_TTL_HOURS),
    )
    return raw, token


@transaction.atomic
def personal_token_create(
    *,
    user,
    access: Access,
    name: str,
    country_ids: list[int],
    read_only: bool,
    days: int,
    vouched_country_id: int | None = None,
    vouched_role: str = "",
) -> tuple[str, ApiToken]:
    """A personal access token: named, for some of the countries this person can see, read-only
    or read-write, expiring within PERSONAL_TOKEN_MAX_DAYS. The raw value is returned once.
    `vouched_country_id`: the country whose provider vouched for the second factor of the session
    that makes it, and `vouched_role` the role held there when it vouched; the token is held to the
    same rule as that session (tenants.identity.policy.token_second_factor_owed)."""
    name = (name or "").strip()
    if not name:
        raise ServiceError(_("Give the token a name, so you can recognise it in the list."), field="name")
    if len(name) > NAME_MAX:
        raise ServiceError(_("The name must be %(n)s characters or fewer.") % {"n": NAME_MAX}, field="name")
    wanted = sorted(set(country_ids or []))
    if not wanted:
        raise ServiceError(_("Choose at least one country the token may reach."), field="countries")
    if not set(wanted) <= access.country_ids:
        raise ServiceError(_("Choose only countries you can see yourself."), field="countries")
    if not 1 <= days <= settings.PERSONAL_TOKEN_MAX_DAYS:
        raise ServiceError(
            _("Choose a lifetime from 1 to %(n)s days.") % {"n": settings.PERSONAL_TOKEN_MAX_DAYS}, field="days"
        )
    raw = _new_raw()
    token = ApiToken.objects.create(
        user=user,
        kind=ApiToken.Kind.PERSONAL,
        name=name,
        country_ids=wanted,
        read_only=read_only,
        vouched_country_id=vouched_country_id,
        vouched_role=vouched_role if vouched_country_id is not None else "",
        key_hash=token_hash(raw),
        prefix=raw[len(TOKEN_PREFIX) : len(TOKEN_PREFIX) + 8],
        expires_at=timezone.now() + timedelta(days=days),
    )
    platform_event_record(
        action="auth.personal_token_created",
        actor=user,
        target=token,
        payload={"countries": wanted, "read_only": read_only, "days": days},
    )
    return raw, token


def personal_token_list(*, user):
    return ApiToken.objects.filter(user=user, kind=ApiToken.Kind.PERSONAL).order_by("-created_at")


@transaction.atomic
def personal_token_revoke(*, user, token_id: int, reason: str) -> bool:
    """Revoke one of the person's own tokens, with their reason (kept on the token); False if
    there is no such live token of theirs. Without a reason, a ServiceError and nothing revoked."""
    reason = reason_clean(reason)
    changed = ApiToken.objects.filter(pk=token_id, user=user, revoked_at__isnull=True).update(
        revoked_at=timezone.now(), revoke_reason=reason
    )
    access_changed(user_ids=[user.pk])
    if changed:
        platform_event_record(action="auth.personal_token_revoked", actor=user, target=user, payload={"id": token_id})
    return bool(changed)


@transaction.atomic
def tokens_revoke_by_admin(*, token_ids: list[int], by, reason: str) -> int:
    """A platform admin revokes some people's tokens, with a reason (kept on each token); the
    event names the tokens by id only. Without a reason, a ServiceError and nothing revoked."""
    reason = reason_clean(reason)
    live = ApiToken.objects.filter(pk__in=token_ids, revoked_at__isnull=True)
    ids = sorted(live.values_list("pk", flat=True))
    people = set(live.values_list("user_id", flat=True))
    revoked = ApiToken.objects.filter(pk__in=ids).update(revoked_at=timezone.now(), revoke_reason=reason)
    access_changed(user_ids=people)
    if revoked:
        platform_event_record(action="auth.api_tokens_revoked", actor=by, actor_role="platform", payload={"ids": ids})
    return revoked


def tokens_revoke_all(*, user_id: int) -> int:
    """Revoke every live token of a person (password changed, second factor reset, deactivated)."""
    revoked = ApiToken.objects.filter(user_id=user_id, revoked_at__isnull=True).update(revoked_at=timezone.now())
    access_changed(user_ids=[user_id])
    return revoked


def token_scope(token: ApiToken) -> tuple[frozenset[int] | None, bool]:
    """(countries the token may reach, or None for all the person's; whether it only reads)."""
    if token.kind == ApiToken.Kind.PERSONAL:
        return frozenset(int(c) for c in token.country_ids or []), token.read_only
    return None, token.read_only


def _bearer_value(request) -> str | None:
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if not header:
        return None
    scheme, _sep, value = header.partition(" ")
    if scheme.lower() != "bearer":
        return None
    return value.strip()


def user_from_bearer(request) -> tuple[object, ApiToken] | None:
    """The (user, token) of a valid bearer token on the request, or None."""
    raw = _bearer_value(request)
    if not raw:
        return None
    key = f"access:bearer:{token_hash(raw)}"
    now = timezone.now()
    # The token and its person, cached as tenants.access caches access: revoking or deleting the
    # token, or any change of the account, makes the entry stale at once; expiry is checked here.
    token = cached_for_person(key)
    if token is None:
        token = (
            ApiToken.objects.select_related("user")
            .filter(key_hash=token_hash(raw), revoked_at__isnull=True, expires_at__gt=now)
            .first()
        )
        if token is None or not token.user.is_active:
            return None
        cache_for_person(key, token, user_id=token.user_id)
    if token.expires_at <= now or token.revoked_at is not None or not token.user.is_active:
        return None
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=5):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
        cache_for_person(key, token, user_id=token.user_id)
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
                _(
                    "This bearer token is not valid: it is unknown, expired or revoked. "
                    "Ask for a new one at POST /api/v1/auth/token/."
                )
            )
        return resolved

    def authenticate_header(self, request) -> str:
        return 'Bearer realm="api"'
