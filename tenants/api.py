"""The JSON API of the tenants app (DESIGN §8): tokens, countries, and under each country its
organisations, members and audit events. Thin views: shape in serializers, rules in services,
reads in selectors; the country and the person's access were resolved by CountryScopeMiddleware.

The building blocks at the top (CountryAPIView, CursorPage, StrictSerializer, ERRORS) are meant
for the other apps' api.py as well: they sit here because tenants is the lowest layer."""

from __future__ import annotations

from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field, inline_serializer
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response

from tenants import selectors, services
from tenants.access import AUDITOR, PARTNER_MANAGER
from tenants.models import Country, Membership, Organisation
from tenants.rest import (
    CODE_PARAMETER,
    ID_PARAMETER,
    MAX_ID,
    ApiView,
    CountryAPIView,
    CursorPage,
    StrictSerializer,
    errors,
    object_id,
)

# --- Building blocks -------------------------------------------------------------------------------


# --- Tokens ---------------------------------------------------------------------------------------


# --- Countries ------------------------------------------------------------------------------------

ROLE_CHOICES = [*Membership.Role.values, PARTNER_MANAGER, AUDITOR]


class CountrySerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    status = serializers.ChoiceField(choices=Country.Status.choices)
    residency_region = serializers.ChoiceField(choices=Country.Region.choices)
    default_language = serializers.CharField()
    your_role = serializers.SerializerMethodField(help_text=gettext_lazy("Your strongest role in this country."))

    @extend_schema_field(serializers.ChoiceField(choices=ROLE_CHOICES))
    def get_your_role(self, country: Country) -> str | None:
        return self.context["access"].role_in(country.pk)


class CountryListApi(ApiView):
    """The countries you can see, by name, with your role in each."""

    pagination_class = CursorPage
    ordering = "name"

    @extend_schema(
        operation_id="countries_list", tags=["countries"], responses={200: CountrySerializer(many=True), **errors(401)}
    )
    def get(self, request):
        return self.paginate(selectors.country_list_visible(access=request.access), CountrySerializer)


class CountryDetailApi(CountryAPIView):
    """One country you can see, with your role in it."""

    @extend_schema(
        operation_id="countries_retrieve",
        tags=["countries"],
        parameters=[CODE_PARAMETER],
        responses={200: CountrySerializer, **errors(401, 404)},
    )
    def get(self, request, code):
        return Response(CountrySerializer(self.country, context=self.context()).data)


# --- Organisations --------------------------------------------------------------------------------


class OrganisationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    acronym = serializers.CharField()
    kind = serializers.ChoiceField(choices=Organisation.Kind.choices)
    member_count = serializers.IntegerField(help_text=gettext_lazy("People in this organisation, invited or active."))
    created_at = serializers.DateTimeField()


class OrganisationCreateSerializer(StrictSerializer):
    """A new organisation of the country."""

    name = serializers.CharField(max_length=200)
    kind = serializers.ChoiceField(
        choices=Organisation.Kind.choices,
        error_messages={
            "invalid_choice": format_lazy(
                gettext_lazy("Choose a kind: {kinds}."), kinds=", ".join(Organisation.Kind.values)
            )
        },
    )
    acronym = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")


class OrganisationListApi(CountryAPIView):
    """The country's ministries, agencies and other organisations."""

    pagination_class = CursorPage
    ordering = "name"  # unique within a country

    @extend_schema(
        operation_id="organisations_list",
        tags=["organisations"],
        parameters=[CODE_PARAMETER],
        description=_("The country's organisations by name, each with its number of members."),
        responses={200: OrganisationSerializer(many=True), **errors(401, 404)},
    )
    def get(self, request, code):
        return self.paginate(selectors.organisation_list(country=self.country), OrganisationSerializer)

    @extend_schema(
        operation_id="organisations_create",
        tags=["organisations"],
        parameters=[CODE_PARAMETER],
        description=_(
            "Add an organisation (country admins). Ministries and public agencies can always join; other kinds once the programme is open to them."
        ),
        request=OrganisationCreateSerializer,
        responses={201: OrganisationSerializer, **errors(400, 401, 403, 404)},
    )
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

    @extend_schema(
        operation_id="organisations_retrieve",
        tags=["organisations"],
        parameters=[CODE_PARAMETER, ID_PARAMETER],
        responses={200: OrganisationSerializer, **errors(401, 404)},
    )
    def get(self, request, code, id):
        organisation = selectors.organisation_get(country=self.country, pk=object_id(id))
        if organisation is None:
            raise exceptions.NotFound(
                _("Not found: {country_name} has no organisation {id}.").format(
                    country_name=self.country.display_name, id=id
                )
            )
        return Response(OrganisationSerializer(organisation).data)


# --- Members --------------------------------------------------------------------------------------


class MemberUserSerializer(serializers.Serializer):
    """The person. Until an invitation is accepted: no id or username, and only the name the
    inviting admin typed, so that an invitation tells nobody who has an account."""

    id = serializers.IntegerField(allow_null=True)
    username = serializers.CharField()
    first_name = serializers.CharField()
    last_name = serializers.CharField()

    def to_representation(self, membership):
        if membership.status == Membership.Status.INVITED:
            invitation = getattr(membership, "invitation", None)
            first = invitation.invited_first_name if invitation else ""
            last = invitation.invited_last_name if invitation else ""
            return {"id": None, "username": "", "first_name": str(first), "last_name": str(last)}
        user = membership.user
        return {"id": user.pk, "username": user.username, "first_name": user.first_name, "last_name": user.last_name}


class MemberOrganisationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class MemberSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    user = MemberUserSerializer(source="*")
    organisation = MemberOrganisationSerializer()
    role = serializers.ChoiceField(choices=Membership.Role.choices)
    status = serializers.ChoiceField(choices=Membership.Status.choices)
    job_title = serializers.CharField()
    created_at = serializers.DateTimeField()


ROLE_ERROR = {
    "invalid_choice": format_lazy(gettext_lazy("Choose a role: {roles}."), roles=", ".join(Membership.Role.values))
}


class MemberInviteSerializer(StrictSerializer):
    """The person to add, where and as what."""

    email = serializers.EmailField(max_length=254)
    first_name = serializers.CharField(max_length=150, help_text=gettext_lazy("As the country knows the person."))
    last_name = serializers.CharField(max_length=150, help_text=gettext_lazy("As the country knows the person."))
    organisation = serializers.IntegerField(
        min_value=1, max_value=MAX_ID, help_text=gettext_lazy("Id of one of this country's organisations.")
    )
    role = serializers.ChoiceField(choices=Membership.Role.choices, error_messages=ROLE_ERROR)
    job_title = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")

    def validate_organisation(self, value: int) -> Organisation:
        country = self.context["country"]
        organisation = selectors.organisation_get(country=country, pk=value)
        if organisation is None:
            raise serializers.ValidationError(
                _("Choose one of {country_name}'s organisations; {value} is not one.").format(
                    country_name=country.display_name, value=value
                )
            )
        return organisation


class MemberRoleSerializer(StrictSerializer):
    """The new role."""

    role = serializers.ChoiceField(choices=Membership.Role.choices, error_messages=ROLE_ERROR)


class MemberListApi(CountryAPIView):
    """The people of the country: their organisation, role and status."""

    pagination_class = CursorPage
    ordering = "id"

    @extend_schema(
        operation_id="members_list",
        tags=["members"],
        parameters=[CODE_PARAMETER],
        description=_("The country's members, invited or active."),
        responses={200: MemberSerializer(many=True), **errors(401, 404)},
    )
    def get(self, request, code):
        return self.paginate(selectors.membership_rows(country=self.country), MemberSerializer)

    @extend_schema(
        operation_id="members_invite",
        tags=["members"],
        parameters=[CODE_PARAMETER],
        request=MemberInviteSerializer,
        responses={201: MemberSerializer, **errors(400, 401, 403, 404)},
        description=_(
            "Invite a person to the country (country admins). Everyone is emailed an invitation and appears with status 'invited' and the name typed here until they accept; a person who has an account accepts signed in to it."
        ),
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
            raise exceptions.NotFound(
                _("Not found: {country_name} has no member {id}.").format(country_name=self.country.display_name, id=id)
            )
        return membership

    @extend_schema(
        operation_id="members_retrieve",
        tags=["members"],
        parameters=[CODE_PARAMETER, ID_PARAMETER],
        description=_("One person's membership of the country."),
        responses={200: MemberSerializer, **errors(401, 404)},
    )
    def get(self, request, code, id):
        return Response(MemberSerializer(self.get_membership(id)).data)

    @extend_schema(
        operation_id="members_change_role",
        tags=["members"],
        description=_("Change the person's role (country admins). The country keeps at least one admin."),
        parameters=[CODE_PARAMETER, ID_PARAMETER],
        request=MemberRoleSerializer,
        responses={200: MemberSerializer, **errors(400, 401, 403, 404)},
    )
    def patch(self, request, code, id):
        membership = self.get_membership(id)
        self.require_country_admin()
        serializer = MemberRoleSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.member_change_role(
            membership=membership, by=request.user, access=request.access, role=serializer.validated_data["role"]
        )
        return Response(MemberSerializer(self.get_membership(id)).data)

    @extend_schema(
        operation_id="members_remove",
        tags=["members"],
        parameters=[CODE_PARAMETER, ID_PARAMETER],
        description=_(
            "Remove the person from the country (country admins), saying why in `reason` (required; kept on the "
            "record). The country keeps at least one admin."
        ),
        request=inline_serializer("MemberRemoval", fields={"reason": serializers.CharField(max_length=2000)}),
        responses={204: OpenApiResponse(description=_("Removed from the country.")), **errors(400, 401, 403, 404)},
    )
    def delete(self, request, code, id):
        membership = self.get_membership(id)
        self.require_country_admin()
        data = request.data if isinstance(request.data, dict) else {}
        reason = data.get("reason") or data.get("comment") or ""
        services.member_remove(
            membership=membership,
            by=request.user,
            access=request.access,
            reason=reason if isinstance(reason, str) else "",
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- Audit events ---------------------------------------------------------------------------------


# --- Documentation --------------------------------------------------------------------------------
