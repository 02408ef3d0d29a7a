"""Building blocks of every app's JSON API: views that read the country resolved by the middleware, strict serializers, cursor pages, documented errors, and the offline docs page."""

from __future__ import annotations

import json

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import build_bearer_security_scheme_object
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from drf_spectacular.views import SpectacularSwaggerSplitView
from rest_framework import exceptions, serializers
from rest_framework.pagination import CursorPagination
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from tenants.models import Country

MAX_ID = 2**63 - 1  # bigint: larger numbers cannot name a row and must not reach the database


class BearerTokenScheme(OpenApiAuthenticationExtension):
    """Describes tenants.identity.tokens.BearerTokenAuthentication in the OpenAPI schema."""

    target_class = "tenants.identity.tokens.BearerTokenAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema):
        scheme = build_bearer_security_scheme_object(header_name="Authorization", token_prefix="Bearer")
        scheme["description"] = "A token from POST /api/v1/auth/token/, sent as 'Authorization: Bearer <token>'."
        return scheme


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text="What went wrong, in words a person can act on.")
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="For input at fault: the messages by field name.",
    )


def _error(description: str) -> OpenApiResponse:
    return OpenApiResponse(ErrorSerializer, description=description)


ERRORS = {
    400: _error("The input is not valid, or a rule refused the change; nothing was changed."),
    401: _error("Not signed in, or the bearer token is unknown, expired or revoked."),
    403: _error("Signed in, but this role may not make this change."),
    404: _error("No such object among those you can see."),
}


def errors(*codes: int) -> dict[int, OpenApiResponse]:
    return {code: ERRORS[code] for code in codes}


class CursorPage(CursorPagination):
    """Cursor pagination whose ordering is the view's `ordering` (unique, or unique within the
    country). No COUNT(*): the cost of a page does not grow with the table."""

    page_size = settings.REST_FRAMEWORK.get("PAGE_SIZE", 50)
    page_size_query_param = "page_size"
    max_page_size = 200

    def get_ordering(self, request, queryset, view):
        ordering = getattr(view, "ordering", None) or self.ordering
        return (ordering,) if isinstance(ordering, str) else tuple(ordering)


class StrictSerializer(serializers.Serializer):
    """An input serializer that refuses fields it does not know, so that a misspelt or
    read-only field is reported instead of silently ignored."""

    def validate(self, attrs):
        if isinstance(self.initial_data, dict) or hasattr(self.initial_data, "keys"):
            # The browsable API's HTML forms carry Django's CSRF token as a field of their own.
            unknown = sorted(set(self.initial_data.keys()) - set(self.fields) - {"csrfmiddlewaretoken"})
            if unknown:
                allowed = ", ".join(sorted(name for name, f in self.fields.items() if not f.read_only))
                raise serializers.ValidationError(
                    {name[:100]: [f"Unknown field. This endpoint accepts: {allowed}."] for name in unknown[:20]}
                )
        return super().validate(attrs)


def object_id(value: str) -> int:
    """A row id from the URL, or 404 for anything that cannot be one (not a 500)."""
    if len(value) > 19 or not value.isascii() or not value.isdigit() or not 1 <= int(value) <= MAX_ID:
        raise exceptions.NotFound("Not found: an id is a positive whole number.")
    return int(value)


ID_PARAMETER = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The object's id.")


CODE_PARAMETER = OpenApiParameter(
    "code",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    description="ISO 3166-1 alpha-2 code of the country, e.g. FR (either case).",
)


class GuardedJSONParser(JSONParser):
    """DRF's JSON parser, answering 400 rather than 500 for nesting so deep that the decoder runs
    out of stack. (Size is limited before parsing: DRF reads the body through Django, which
    enforces DATA_UPLOAD_MAX_MEMORY_SIZE; portal.api_errors turns that refusal into a 400.)"""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise exceptions.ParseError("JSON parse error - the body is nested too deeply.") from None


class ApiView(APIView):
    """Base of every API view: guarded parsers, and a check that the country scope opened by the
    middleware belongs to the person DRF authenticated."""

    parser_classes = [GuardedJSONParser, FormParser, MultiPartParser]

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        access = getattr(request, "access", None)
        # The country scope (and row-level security) was opened by CountryScopeMiddleware for the
        # person Django's own authentication saw; a different person here would be served with
        # someone else's scope. That happens with APIClient.force_authenticate(), which bypasses
        # the middleware: tests sign in with force_login() or a real bearer token instead.
        if access is None or (request.user.is_authenticated and access.user_id != request.user.pk):
            raise ImproperlyConfigured(
                "The API was reached without CountryScopeMiddleware resolving this user; "
                "in tests use client.force_login(user) or a bearer token, not force_authenticate()."
            )


class CountryAPIView(ApiView):
    """Base of every view under /api/v1/countries/<code>/: self.country is the country of the URL
    if this person may see it; otherwise the answer is 404, never 403 and never the data."""

    country: Country

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)  # 401 for anonymous callers comes first
        code = str(kwargs.get("code", "")).upper()
        country = getattr(request, "country", None)
        if country is None or country.code != code:
            if len(code) != 2 or not code.isalpha():
                raise exceptions.NotFound("Not found: a country is named by its two-letter ISO code, e.g. FR.")
            raise exceptions.NotFound(f"Not found: there is no country {code} among those you can see.")
        self.country = country

    def require_country_admin(self) -> None:
        """Answer 403 before looking at the input of a change this person may not make at all.
        The service checks again: it is the rule; this only orders the answers."""
        if not self.request.access.is_country_admin(self.country.pk):
            raise exceptions.PermissionDenied(f"Only a country admin of {self.country.name} can do this.")

    def paginate(self, queryset, serializer_class) -> Response:
        paginator = CursorPage()
        page = paginator.paginate_queryset(queryset, self.request, view=self)
        return paginator.get_paginated_response(serializer_class(page, many=True, context=self.context()).data)

    def context(self) -> dict:
        return {"request": self.request, "country": self.country, "access": self.request.access}


class ApiDocsView(SpectacularSwaggerSplitView):
    """Swagger UI from the sidecar's local assets, with the online validator switched off, so the
    page makes no request to any other host; its start-up script is a file of its own (?script),
    so the Content-Security-Policy needs no inline script."""

    url_name = "api-schema"
    template_name = "portal/api_docs.html"

    @extend_schema(exclude=True)
    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        ui_settings = settings.SPECTACULAR_SETTINGS.get("SWAGGER_UI_SETTINGS") or {"deepLinking": True}
        if isinstance(ui_settings, dict) and "settings" in response.data:
            response.data["settings"] = json.dumps({**ui_settings, "validatorUrl": None})
        return response
