"""Building blocks of every app's JSON API: views that read the country resolved by the middleware, strict serializers, cursor pages, documented errors, and the offline docs page."""

from __future__ import annotations

import json
import re
from base64 import b64decode
from urllib.parse import parse_qs, urlsplit

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist, ImproperlyConfigured
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.signing import BadSignature, Signer
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext, gettext_lazy
from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import build_bearer_security_scheme_object
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework import exceptions, serializers
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.pagination import Cursor, CursorPagination
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param
from rest_framework.views import APIView

from tenants.ids import MAX_ID, parse_id
from tenants.inputs import UNSAFE
from tenants.models import Country


class BearerTokenScheme(OpenApiAuthenticationExtension):
    """Describes tenants.identity.tokens.BearerTokenAuthentication in the OpenAPI schema."""

    target_class = "tenants.identity.tokens.BearerTokenAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema):
        scheme = build_bearer_security_scheme_object(header_name="Authorization", token_prefix="Bearer")
        scheme["description"] = "A token from POST /api/v1/auth/token/, sent as 'Authorization: Bearer <token>'."
        return scheme


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text=gettext_lazy("What went wrong, in words a person can act on."))
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text=gettext_lazy("For input at fault: the messages by field name."),
    )


def _error(description: str) -> OpenApiResponse:
    return OpenApiResponse(ErrorSerializer, description=description)


ERRORS = {
    400: _error("The input is not valid, or a rule refused the change; nothing was changed."),
    401: _error("Not signed in, or the bearer token is unknown, expired or revoked."),
    403: _error("Signed in, but this role may not make this change."),
    404: _error("No such object among those you can see."),
    409: _error("The country is leaving or has left the programme: its data is read-only; nothing was changed."),
    410: _error("The file was encrypted under the country's data key, destroyed when it left: it cannot be read."),
}


def errors(*codes: int) -> dict[int, OpenApiResponse]:
    return {code: ERRORS[code] for code in codes}


# Cursors are signed: a list accepts back only the cursors it gave out.
CURSOR_SIGNER = Signer(salt="tenants.rest.CursorPage")


class CursorPage(CursorPagination):
    """Cursor pagination whose ordering is the view's `ordering` (unique, or unique within the
    country). No COUNT(*): the cost of a page does not grow with the table.

    A cursor comes back from the client, so it is checked before it reaches a query: it must carry
    the portal's signature (any change to it is seen), and its position must be a value of the
    ordering's field (of its type, within a bigint, text that can be stored). Anything else is a
    400 that says how to go on, never a 500."""

    page_size = settings.REST_FRAMEWORK.get("PAGE_SIZE", 50)
    page_size_query_param = "page_size"
    max_page_size = 200
    page_size_query_description = gettext_lazy("How many results a page holds: 1 to 200 (default 50).")
    cursor_query_description = gettext_lazy("The cursor of the next or previous page, from that page's link.")

    def get_ordering(self, request, queryset, view):
        ordering = getattr(view, "ordering", None) or self.ordering
        return (ordering,) if isinstance(ordering, str) else tuple(ordering)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"].update(minimum=1, maximum=self.max_page_size)
        return parameters

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        if not re.fullmatch(r"[0-9]{1,4}", raw) or not 1 <= int(raw) <= self.max_page_size:
            raise exceptions.ValidationError(
                {
                    self.page_size_query_param: [
                        gettext("Choose a page size from 1 to %(max)s.") % {"max": self.max_page_size}
                    ]
                }
            )
        return int(raw)

    def paginate_queryset(self, queryset, request, view=None):
        self.model = queryset.model
        return super().paginate_queryset(queryset, request, view)

    def encode_cursor(self, cursor):
        url = super().encode_cursor(cursor)
        encoded = parse_qs(urlsplit(url).query)[self.cursor_query_param][0]
        return replace_query_param(url, self.cursor_query_param, CURSOR_SIGNER.sign(encoded))

    def decode_cursor(self, request):
        encoded = request.query_params.get(self.cursor_query_param)
        if not encoded:
            return None  # no cursor, or an empty one: the first page
        try:
            encoded = CURSOR_SIGNER.unsign(encoded)
            tokens = parse_qs(b64decode(encoded.encode("ascii"), validate=True).decode("ascii"), keep_blank_values=True)
            offset = int(tokens.get("o", ["0"])[0])
            reverse = tokens.get("r", ["0"])[0]
            position = tokens.get("p", [None])[0]
        except (BadSignature, TypeError, ValueError):
            raise self.invalid() from None
        if not 0 <= offset <= self.offset_cutoff or reverse not in ("0", "1"):
            raise self.invalid()
        if position is not None:
            self.check_position(position)
        return Cursor(offset=offset, reverse=reverse == "1", position=position)

    def invalid(self) -> exceptions.ValidationError:
        return exceptions.ValidationError(
            {
                self.cursor_query_param: [
                    gettext(
                        "This cursor is not one this list gave out (it was changed or cut short). Follow a "
                        "page's next or previous link as it is, or leave the cursor out to start at the first page."
                    )
                ]
            }
        )

    def check_position(self, position: str) -> None:
        """The position must be a value the ordering's first field can hold."""
        if len(position) > 200 or UNSAFE.search(position):
            raise self.invalid()
        try:
            field = self.model._meta.get_field(self.ordering[0].lstrip("-"))
        except FieldDoesNotExist:
            return  # an annotation: compared as text, which the checks above made safe
        try:
            if isinstance(field, models.IntegerField):
                if not re.fullmatch(r"-?[0-9]{1,19}", position) or not -MAX_ID - 1 <= int(position) <= MAX_ID:
                    raise ValueError(position)
            elif isinstance(field, models.DateTimeField):
                if parse_datetime(position) is None:
                    raise ValueError(position)
            elif isinstance(field, models.DateField):
                if parse_date(position) is None:
                    raise ValueError(position)
            else:
                field.to_python(position)
        except (ValueError, TypeError, DjangoValidationError):
            raise self.invalid() from None


def bound_integers(field: serializers.Field) -> None:
    """Give an integer field (or a list's integer items) the bounds of a bigint where it has none, so
    that no number reaches the database that a column cannot hold (ids above all)."""
    if isinstance(field, serializers.ListField):
        bound_integers(field.child)
    if not isinstance(field, serializers.IntegerField):
        return
    if field.max_value is None:
        field.max_value = MAX_ID
        message = field.error_messages["max_value"].format(max_value=MAX_ID)
        field.validators.append(MaxValueValidator(MAX_ID, message=message))
    if field.min_value is None:
        field.min_value = -MAX_ID - 1
        message = field.error_messages["min_value"].format(min_value=-MAX_ID - 1)
        field.validators.append(MinValueValidator(-MAX_ID - 1, message=message))


# Dates and times an API body or query may name: DRF converts a time given without an offset
# from the reader's time zone to UTC, which overflows at the calendar's ends (a 500 for
# "0001-01-01T00:00:00" read in Paris, for "9999-12-31T23:59:59" in São Paulo).
EARLIEST_YEAR, LATEST_YEAR = 1900, 2999


def bound_dates(field: serializers.Field) -> None:
    """Hold a date or date-time field (or a list's items) to EARLIEST_YEAR..LATEST_YEAR, with a
    message a person can act on, before any conversion can overflow."""
    if isinstance(field, serializers.ListField):
        bound_dates(field.child)
    if not isinstance(field, (serializers.DateTimeField, serializers.DateField)):
        return
    convert = field.to_internal_value

    def bounded(value):
        try:
            result = convert(value)
        except OverflowError:
            result = None
        if result is None or not EARLIEST_YEAR <= result.year <= LATEST_YEAR:
            raise serializers.ValidationError(
                gettext("Choose a date between the years %(earliest)s and %(latest)s.")
                % {"earliest": EARLIEST_YEAR, "latest": LATEST_YEAR}
            )
        return result

    field.to_internal_value = bounded


class StrictSerializer(serializers.Serializer):
    """An input serializer that refuses fields it does not know, so that a misspelt or
    read-only field is reported instead of silently ignored, whose integers are bounded to what a
    bigint holds, and whose dates to years a conversion between time zones cannot overflow."""

    def get_fields(self):
        fields = super().get_fields()
        for field in fields.values():
            bound_integers(field)
            bound_dates(field)
        return fields

    def validate(self, attrs):
        if isinstance(self.initial_data, dict) or hasattr(self.initial_data, "keys"):
            # The browsable API's HTML forms carry Django's CSRF token as a field of their own.
            unknown = sorted(set(self.initial_data.keys()) - set(self.fields) - {"csrfmiddlewaretoken"})
            if unknown:
                allowed = ", ".join(sorted(name for name, f in self.fields.items() if not f.read_only))
                raise serializers.ValidationError(
                    {
                        name[:100]: [
                            gettext("Unknown field. This endpoint accepts: %(allowed)s.") % {"allowed": allowed}
                        ]
                        for name in unknown[:20]
                    }
                )
        return super().validate(attrs)


class PageQuerySerializer(StrictSerializer):
    """Base of a list's query-string filters: the pagination parameters every paged list accepts."""

    cursor = serializers.CharField(required=False, max_length=1000, help_text=CursorPage.cursor_query_description)
    page_size = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=CursorPage.max_page_size,
        help_text=CursorPage.page_size_query_description,
    )


def object_id(value: str) -> int:
    """A row id from the URL, or 404 for anything that cannot be one (not a 500)."""
    number = parse_id(value)
    if number is None:
        raise exceptions.NotFound(_("Not found: an id is a positive whole number."))
    return number


ID_PARAMETER = OpenApiParameter(
    "id", OpenApiTypes.INT, OpenApiParameter.PATH, description=gettext_lazy("The object's id.")
)


CODE_PARAMETER = OpenApiParameter(
    "code",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    description=gettext_lazy("ISO 3166-1 alpha-2 code of the country, e.g. FR (either case)."),
)


class ApiView(APIView):
    """Base of every API view (its parsers, REST_FRAMEWORK's defaults, are tenants.parsers'): a check that the country scope opened by the
    middleware belongs to the person DRF authenticated.

    A view that answers a paged list sets `pagination_class = CursorPage` and answers with
    `self.paginate(...)`: the schema documents the page envelope from that same attribute."""

    pagination_class: type[CursorPage] | None = None

    def initial(self, request, *args, **kwargs):
        # A method the endpoint does not have is a 405 for everyone, before anything else is asked.
        method = request.method.lower()
        if method not in self.http_method_names or not hasattr(self, method):
            raise exceptions.MethodNotAllowed(request.method)
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

    def context(self) -> dict:
        return {"request": self.request, "access": self.request.access}

    def paginate(self, queryset, serializer_class, *, prepare=None) -> Response:
        """One page of `queryset`, serialised; `prepare`, if given, completes the page's rows first
        (one read for the whole page, never one per row)."""
        if self.pagination_class is None:
            raise ImproperlyConfigured(
                f"{type(self).__name__} answers a paged list: set pagination_class = CursorPage."
            )
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(queryset, self.request, view=self)
        if prepare is not None:
            page = prepare(list(page))
        return paginator.get_paginated_response(serializer_class(page, many=True, context=self.context()).data)


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
                raise exceptions.NotFound(_("Not found: a country is named by its two-letter ISO code, e.g. FR."))
            raise exceptions.NotFound(
                _("Not found: there is no country {code} among those you can see.").format(code=code)
            )
        self.country = country

    def require_country_admin(self) -> None:
        """Answer 403 before looking at the input of a change this person may not make at all.
        The service checks again: it is the rule; this only orders the answers."""
        if not self.request.access.is_country_admin(self.country.pk):
            raise exceptions.PermissionDenied(
                _("Only a country admin of {country_name} can do this.").format(country_name=self.country.display_name)
            )

    def context(self) -> dict:
        return {**super().context(), "country": self.country}


class _ReadOnlyWithJsonErrors:
    """For the schema and its docs, whose answers are YAML or a page: GET and HEAD only, and any
    refusal in the API's JSON shape, never in the view's own format (an OPTIONS on the page asked
    its HTML renderer for a template it has not: a 500)."""

    http_method_names = ["get", "head"]

    def finalize_response(self, request, response, *args, **kwargs):
        if response.status_code >= 400 and isinstance(response, Response):
            request.accepted_renderer, request.accepted_media_type = JSONRenderer(), "application/json"
        return super().finalize_response(request, response, *args, **kwargs)


class _FormatParameter(DefaultContentNegotiation):
    """?format=json or ?format=yaml picks the schema's format (the API itself has one format,
    JSON, and takes no ?format=: REST_FRAMEWORK["URL_FORMAT_OVERRIDE"] is None)."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return super().select_renderer(request, renderers, format_suffix or request.query_params.get("format"))


class ApiSchemaView(_ReadOnlyWithJsonErrors, SpectacularAPIView):
    """The OpenAPI schema, as drf-spectacular writes it, in YAML or (?format=json) JSON."""

    content_negotiation_class = _FormatParameter


class ApiDocsView(_ReadOnlyWithJsonErrors, SpectacularSwaggerSplitView):
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
