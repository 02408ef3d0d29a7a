"""The JSON API of the tenants app (DESIGN §8): tokens, countries, and under each country its
organisations, members and audit events. Thin views: shape in serializers, rules in services,
reads in selectors; the country and the person's access were resolved by CountryScopeMiddleware.

The building blocks at the top (CountryAPIView, CursorPage, StrictSerializer, ERRORS) are meant
for the other apps' api.py as well: they sit here because tenants is the lowest layer."""
from __future__ import annotations

import json

from django.conf import settings
from django.contrib.auth import authenticate
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import build_bearer_security_scheme_object
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_field
from drf_spectacular.views import SpectacularSwaggerView
from rest_framework import exceptions, serializers, status
from rest_framework.pagination import CursorPagination
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from . import selectors, services
from .access import AUDITOR, PARTNER_MANAGER
from .authentication import BearerTokenAuthentication, api_token_issue
from .ledger import platform_event_record
from .models import ApiToken, Country, Membership, Organisation

MAX_ID = 2**63 - 1  # bigint: larger numbers cannot name a row and must not reach the database


# --- Building blocks -------------------------------------------------------------------------------

class BearerTokenScheme(OpenApiAuthenticationExtension):
    """Describes tenants.authentication.BearerTokenAuthentication in the OpenAPI schema."""

    target_class = "tenants.authentication.BearerTokenAuthentication"
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
    "code", OpenApiTypes.STR, OpenApiParameter.PATH,
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


# --- Tokens ---------------------------------------------------------------------------------------

class TokenCredentialsSerializer(StrictSerializer):
    """The username and password of an active account."""

    username = serializers.CharField(max_length=150, trim_whitespace=False)
    password = serializers.CharField(max_length=1024, trim_whitespace=False, write_only=True,
                                     style={"input_type": "password"})


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="Shown once. Send it as 'Authorization: Bearer <token>'.")
    expires = serializers.DateTimeField(help_text="When the token stops working.")


class TokenIssueApi(ApiView):
    """Exchange a username and password for an expiring bearer token."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "token"

    @extend_schema(
        operation_id="auth_token_issue", tags=["auth"], auth=[],
        request=TokenCredentialsSerializer,
        responses={200: OpenApiResponse(TokenSerializer, description="A new token, shown this once."),
                   400: ERRORS[400],
                   429: _error("Too many attempts from this address; wait and try again.")},
    )
    def post(self, request):
        serializer = TokenCredentialsSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        # ModelBackend refuses inactive accounts and spends the same time on unknown usernames,
        # so this one message tells nobody whether an account exists.
        user = authenticate(request._request, username=serializer.validated_data["username"],
                            password=serializer.validated_data["password"])
        if user is None or not user.is_active:
            raise exceptions.ValidationError(
                {"non_field_errors": ["That username and password do not match an active account. "
                                      "Check both (they are case-sensitive) and try again."]}
            )
        raw, token = api_token_issue(user=user)
        platform_event_record(action="auth.api_token_issued", actor=user, target=token)
        data = TokenSerializer({"token": raw, "expires": token.expires_at}).data
        return Response(data, headers={"Cache-Control": "no-store"})


class TokenRevokeApi(ApiView):
    """Revoke the bearer token this request was made with."""

    authentication_classes = [BearerTokenAuthentication]
    permission_classes = [IsAuthenticated]

    @extend_schema(operation_id="auth_token_revoke", tags=["auth"], request=None,
                   responses={204: OpenApiResponse(description="Revoked: the token no longer works."), **errors(401)})
    def post(self, request):
        token: ApiToken = request.auth
        ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- Countries ------------------------------------------------------------------------------------

ROLE_CHOICES = [*Membership.Role.values, PARTNER_MANAGER, AUDITOR]


class CountrySerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    status = serializers.ChoiceField(choices=Country.Status.choices)
    residency_region = serializers.ChoiceField(choices=Country.Region.choices)
    default_language = serializers.CharField()
    your_role = serializers.SerializerMethodField(help_text="Your strongest role in this country.")

    @extend_schema_field(serializers.ChoiceField(choices=ROLE_CHOICES))
    def get_your_role(self, country: Country) -> str | None:
        return self.context["access"].role_in(country.pk)


class CountryListApi(ApiView):
    """The countries you can see, by name, with your role in each."""

    pagination_class = CursorPage
    ordering = "name"

    @extend_schema(operation_id="countries_list", tags=["countries"],
                   responses={200: CountrySerializer(many=True), **errors(401)})
    def get(self, request):
        queryset = selectors.country_list_visible(access=request.access)
        paginator = CursorPage()
        page = paginator.paginate_queryset(queryset, request, view=self)
        data = CountrySerializer(page, many=True, context={"access": request.access}).data
        return paginator.get_paginated_response(data)


class CountryDetailApi(CountryAPIView):
    """One country you can see, with your role in it."""

    @extend_schema(operation_id="countries_retrieve", tags=["countries"], parameters=[CODE_PARAMETER],
                   responses={200: CountrySerializer, **errors(401, 404)})
    def get(self, request, code):
        return Response(CountrySerializer(self.country, context=self.context()).data)


# --- Organisations --------------------------------------------------------------------------------

class OrganisationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    acronym = serializers.CharField()
    kind = serializers.ChoiceField(choices=Organisation.Kind.choices)
    member_count = serializers.IntegerField(help_text="People in this organisation, invited or active.")
    created_at = serializers.DateTimeField()


class OrganisationCreateSerializer(StrictSerializer):
    """A new organisation of the country."""

    name = serializers.CharField(max_length=200)
    kind = serializers.ChoiceField(
        choices=Organisation.Kind.choices,
        error_messages={"invalid_choice": "Choose a kind: " + ", ".join(Organisation.Kind.values) + "."},
    )
    acronym = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")


class OrganisationListApi(CountryAPIView):
    """The country's ministries, agencies and other organisations."""

    pagination_class = CursorPage
    ordering = "name"  # unique within a country

    @extend_schema(operation_id="organisations_list", tags=["organisations"], parameters=[CODE_PARAMETER],
                   description="The country's organisations by name, each with its number of members.",
                   responses={200: OrganisationSerializer(many=True), **errors(401, 404)})
    def get(self, request, code):
        return self.paginate(selectors.organisation_list(country=self.country), OrganisationSerializer)

    @extend_schema(operation_id="organisations_create", tags=["organisations"], parameters=[CODE_PARAMETER],
                   description="Add an organisation (country admins). Ministries and public agencies can "
                               "always join; other kinds once the programme is open to them.",
                   request=OrganisationCreateSerializer,
                   responses={201: OrganisationSerializer, **errors(400, 401, 403, 404)})
    def post(self, request, code):
        self.require_country_admin()
        serializer = OrganisationCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        organisation = services.organisation_create(
            country=self.country, by=request.user, access=request.access, **serializer.validated_data
        )
        created = selectors.organisation_get(country=self.country, pk=organisation.pk)
        return Response(OrganisationSerializer(created).data, status=status.HTTP_201_CREATED)


class OrganisationDetailApi(CountryAPIView):
    """One of the country's organisations."""

    @extend_schema(operation_id="organisations_retrieve", tags=["organisations"],
                   parameters=[CODE_PARAMETER, ID_PARAMETER],
                   responses={200: OrganisationSerializer, **errors(401, 404)})
    def get(self, request, code, id):
        organisation = selectors.organisation_get(country=self.country, pk=object_id(id))
        if organisation is None:
            raise exceptions.NotFound(f"Not found: {self.country.name} has no organisation {id}.")
        return Response(OrganisationSerializer(organisation).data)


# --- Members --------------------------------------------------------------------------------------

class MemberUserSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    first_name = serializers.CharField()
    last_name = serializers.CharField()


class MemberOrganisationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class MemberSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    user = MemberUserSerializer()
    organisation = MemberOrganisationSerializer()
    role = serializers.ChoiceField(choices=Membership.Role.choices)
    status = serializers.ChoiceField(choices=Membership.Status.choices)
    job_title = serializers.CharField()
    created_at = serializers.DateTimeField()


ROLE_ERROR = {"invalid_choice": "Choose a role: " + ", ".join(Membership.Role.values) + "."}


class MemberInviteSerializer(StrictSerializer):
    """The person to add, where and as what."""

    email = serializers.EmailField(max_length=254)
    first_name = serializers.CharField(max_length=150, required=False, allow_blank=True, default="",
                                       help_text="Needed when the person has no account yet.")
    last_name = serializers.CharField(max_length=150, required=False, allow_blank=True, default="",
                                      help_text="Needed when the person has no account yet.")
    organisation = serializers.IntegerField(min_value=1, max_value=MAX_ID,
                                            help_text="Id of one of this country's organisations.")
    role = serializers.ChoiceField(choices=Membership.Role.choices, error_messages=ROLE_ERROR)
    job_title = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")

    def validate_organisation(self, value: int) -> Organisation:
        country = self.context["country"]
        organisation = selectors.organisation_get(country=country, pk=value)
        if organisation is None:
            raise serializers.ValidationError(f"Choose one of {country.name}'s organisations; {value} is not one.")
        return organisation


class MemberRoleSerializer(StrictSerializer):
    """The new role."""

    role = serializers.ChoiceField(choices=Membership.Role.choices, error_messages=ROLE_ERROR)


class MemberListApi(CountryAPIView):
    """The people of the country: their organisation, role and status."""

    pagination_class = CursorPage
    ordering = "id"

    @extend_schema(operation_id="members_list", tags=["members"], parameters=[CODE_PARAMETER],
                   description="The country's members, invited or active.",
                   responses={200: MemberSerializer(many=True), **errors(401, 404)})
    def get(self, request, code):
        return self.paginate(selectors.membership_list(country=self.country), MemberSerializer)

    @extend_schema(
        operation_id="members_invite", tags=["members"], parameters=[CODE_PARAMETER],
        request=MemberInviteSerializer,
        responses={201: MemberSerializer, **errors(400, 401, 403, 404)},
        description="Add a person to the country (country admins). Someone who already has an account joins at once; "
                    "anyone else is emailed an invitation and appears with status 'invited'.",
    )
    def post(self, request, code):
        self.require_country_admin()
        serializer = MemberInviteSerializer(data=request.data, context=self.context())
        serializer.is_valid(raise_exception=True)
        membership = services.member_invite(
            country=self.country, by=request.user, access=request.access, **serializer.validated_data
        )
        created = selectors.membership_get(country=self.country, pk=membership.pk)
        return Response(MemberSerializer(created).data, status=status.HTTP_201_CREATED)


class MemberDetailApi(CountryAPIView):
    """One person's membership of the country."""

    def get_membership(self, id: str) -> Membership:
        membership = selectors.membership_get(country=self.country, pk=object_id(id))
        if membership is None:
            raise exceptions.NotFound(f"Not found: {self.country.name} has no member {id}.")
        return membership

    @extend_schema(operation_id="members_retrieve", tags=["members"], parameters=[CODE_PARAMETER, ID_PARAMETER],
                   description="One person's membership of the country.",
                   responses={200: MemberSerializer, **errors(401, 404)})
    def get(self, request, code, id):
        return Response(MemberSerializer(self.get_membership(id)).data)

    @extend_schema(operation_id="members_change_role", tags=["members"],
                   description="Change the person's role (country admins). The country keeps at least one admin.",
                   parameters=[CODE_PARAMETER, ID_PARAMETER], request=MemberRoleSerializer,
                   responses={200: MemberSerializer, **errors(400, 401, 403, 404)})
    def patch(self, request, code, id):
        membership = self.get_membership(id)
        self.require_country_admin()
        serializer = MemberRoleSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.member_change_role(membership=membership, by=request.user, access=request.access,
                                    role=serializer.validated_data["role"])
        return Response(MemberSerializer(self.get_membership(id)).data)

    @extend_schema(operation_id="members_remove", tags=["members"], parameters=[CODE_PARAMETER, ID_PARAMETER],
                   description="Remove the person from the country (country admins). The country keeps at "
                               "least one admin.",
                   request=None,
                   responses={204: OpenApiResponse(description="Removed from the country."),
                              **errors(400, 401, 403, 404)})
    def delete(self, request, code, id):
        membership = self.get_membership(id)
        self.require_country_admin()
        services.member_remove(membership=membership, by=request.user, access=request.access)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- Audit events ---------------------------------------------------------------------------------

class AuditEventSerializer(serializers.Serializer):
    sequence = serializers.IntegerField(help_text="Position on the country's chain, from 1.")
    at = serializers.DateTimeField()
    actor_label = serializers.CharField(help_text="Username of the actor at the time, or 'system'.")
    actor_role = serializers.CharField()
    action = serializers.CharField(help_text="What happened, e.g. member.invited.")
    target_type = serializers.CharField()
    target_id = serializers.CharField()
    payload = serializers.DictField(help_text="Small, with no secrets and no personal data.")
    prev_hash = serializers.CharField(help_text="SHA-256 of the previous event (64 zeros for the first).")
    hash = serializers.CharField(help_text="SHA-256 over this event's canonical encoding.")


# --- Documentation --------------------------------------------------------------------------------

class ApiDocsView(SpectacularSwaggerView):
    """Swagger UI from the sidecar's local assets, with the online validator switched off, so the
    page makes no request to any other host."""

    url_name = "api-schema"

    @extend_schema(exclude=True)
    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        ui_settings = settings.SPECTACULAR_SETTINGS.get("SWAGGER_UI_SETTINGS") or {"deepLinking": True}
        if isinstance(ui_settings, dict):
            response.data["settings"] = json.dumps({**ui_settings, "validatorUrl": None})
        return response
