"""The API's door for tokens: POST /api/v1/auth/token/ (issue) and /auth/token/revoke/."""

from __future__ import annotations

import hashlib

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle

from tenants.access import access_changed
from tenants.identity.credentials import token_credentials_check
from tenants.identity.models import ApiToken
from tenants.identity.tokens import BearerTokenAuthentication, api_token_issue
from tenants.record.ledger import platform_event_record
from tenants.rest import ERRORS, ApiView, StrictSerializer, _error, errors


class TokenCredentialsSerializer(StrictSerializer):
    """The username and password of an active account, and the current six-digit code of its
    authenticator app when it has a second factor."""

    username = serializers.CharField(max_length=150, trim_whitespace=False)
    password = serializers.CharField(
        max_length=1024, trim_whitespace=False, write_only=True, style={"input_type": "password"}
    )
    otp = serializers.RegexField(
        r"^\s*\d{6}\s*$",
        required=False,
        write_only=True,
        help_text=gettext_lazy("The current six-digit code of your authenticator app (accounts with a second factor)."),
        error_messages={"invalid": gettext_lazy("Enter the six digits your authenticator app shows now.")},
    )


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(help_text=gettext_lazy("Shown once. Send it as 'Authorization: Bearer <token>'."))
    expires = serializers.DateTimeField(help_text=gettext_lazy("When the token stops working."))


class TokenIssueThrottle(ScopedRateThrottle):
    """Requests for a token per account name from one address (TOKEN_THROTTLE_RATE), right ones
    included: never per address alone, which would hold every script of a ministry behind one
    address. Wrong passwords are bounded by the sign-in's own counts (tenants.identity.lockout)."""

    def get_cache_key(self, request, view):
        name = request.data.get("username") if isinstance(request.data, dict) else None
        pair = f"{str(name or '').lower()}|{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": hashlib.sha256(pair.encode()).hexdigest()}


class TokenIssueApi(ApiView):
    """Exchange a username and password for an expiring bearer token."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [TokenIssueThrottle]
    throttle_scope = "token"

    @extend_schema(
        operation_id="auth_token_issue",
        tags=["auth"],
        auth=[],
        request=TokenCredentialsSerializer,
        responses={
            200: OpenApiResponse(TokenSerializer, description=_("A new token, shown this once.")),
            400: ERRORS[400],
            401: _error("The six-digit code is not right (accounts with a second factor)."),
            403: _error("The account's role needs a second factor it has not set up yet."),
            429: _error("Too many attempts for this account or from this address; wait and try again."),
        },
    )
    def post(self, request):
        serializer = TokenCredentialsSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        user = token_credentials_check(
            request._request, username=data["username"], password=data["password"], otp=data.get("otp")
        )
        raw, token = api_token_issue(user=user)
        platform_event_record(action="auth.api_token_issued", actor=user, target=token)
        data = TokenSerializer({"token": raw, "expires": token.expires_at}).data
        return Response(data, headers={"Cache-Control": "no-store"})


class TokenRevokeApi(ApiView):
    """Revoke the bearer token this request was made with."""

    authentication_classes = [BearerTokenAuthentication]
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="auth_token_revoke",
        tags=["auth"],
        request=None,
        responses={204: OpenApiResponse(description=_("Revoked: the token no longer works.")), **errors(401)},
    )
    def post(self, request):
        token: ApiToken = request.auth
        ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
        access_changed(user_ids=[token.user_id])
        return Response(status=status.HTTP_204_NO_CONTENT)
