"""The JSON API of frameworks and controls under /countries/<code>/frameworks/: coverage per
framework, each requirement's status and owner, and evidence files (list and upload)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response

from tenants.models import Membership
from tenants.rest import CODE_PARAMETER, CountryAPIView, StrictSerializer, errors

from . import evidence, selectors, services
from .models import RequirementStatus

SLUG_PARAMETER = OpenApiParameter(
    "slug", OpenApiTypes.STR, OpenApiParameter.PATH, description=gettext_lazy("The framework's slug, e.g. gdpr.")
)
REQ_PARAMETER = OpenApiParameter(
    "req", OpenApiTypes.STR, OpenApiParameter.PATH, description=gettext_lazy("The requirement's code, e.g. gdpr-5.")
)


# --- Frameworks (per country) ---------------------------------------------------------------------


class CoverageRowSerializer(serializers.Serializer):
    status = serializers.CharField()
    count = serializers.IntegerField()
    percent = serializers.IntegerField()


class CoverageSerializer(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()
    total = serializers.IntegerField()
    rows = CoverageRowSerializer(many=True)


class CountryFrameworkListApi(CountryAPIView):
    """Coverage of each framework for this country: counts and percentages per status."""

    @extend_schema(
        operation_id="country_frameworks_list",
        tags=["governance"],
        parameters=[CODE_PARAMETER],
        responses={200: CoverageSerializer(many=True), **errors(401, 404)},
    )
    def get(self, request, code):
        frameworks = list(selectors.framework_list())
        covered = selectors.coverages(country=self.country, frameworks=frameworks)
        data = [{"slug": f.slug, "name": f.name, **covered[f.pk]} for f in frameworks]
        return Response(CoverageSerializer(data, many=True).data)


class RequirementStatusSerializer(serializers.Serializer):
    code = serializers.CharField()
    reference = serializers.CharField()
    title = serializers.CharField()
    status = serializers.SerializerMethodField()
    owner = serializers.SerializerMethodField()
    evidence_count = serializers.SerializerMethodField()

    def get_status(self, requirement) -> str:
        row = requirement.country_status
        return row.status if row else RequirementStatus.Status.NOT_ASSESSED

    def get_owner(self, requirement) -> int | None:
        row = requirement.country_status
        return row.owner_id if row else None

    def get_evidence_count(self, requirement) -> int:
        row = requirement.country_status
        return row.evidence_count if row else 0


class StatusSetSerializer(StrictSerializer):
    status = serializers.ChoiceField(choices=RequirementStatus.Status.choices)
    owner = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        help_text=gettext_lazy("Id of a member of this country (see …/members/)."),
    )
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")


def _framework(view, slug):
    framework = selectors.framework_get(slug=slug)
    if framework is None:
        raise exceptions.NotFound(_("Not found: there is no such framework; see /api/v1/frameworks/."))
    return framework


class RequirementListApi(CountryAPIView):
    """Each requirement of a framework with this country's status, owner and evidence count."""

    @extend_schema(
        operation_id="country_requirements_list",
        tags=["governance"],
        parameters=[CODE_PARAMETER, SLUG_PARAMETER],
        responses={200: RequirementStatusSerializer(many=True), **errors(401, 404)},
    )
    def get(self, request, code, slug):
        rows = selectors.framework_rows(country=self.country, framework=_framework(self, slug))
        return Response(RequirementStatusSerializer(rows, many=True).data)


class RequirementStatusApi(CountryAPIView):
    """Set a requirement's status for this country, with its owner and a note (country admins and officers)."""

    @extend_schema(
        operation_id="country_requirement_status_set",
        tags=["governance"],
        parameters=[CODE_PARAMETER, SLUG_PARAMETER, REQ_PARAMETER],
        request=StatusSetSerializer,
        responses={200: RequirementStatusSerializer, **errors(400, 401, 403, 404)},
    )
    def post(self, request, code, slug, req):
        framework = _framework(self, slug)
        requirement = selectors.requirement_get(framework=framework, code=req)
        if requirement is None:
            raise exceptions.NotFound(
                _("Not found: {framework_name} has no requirement {req}.").format(
                    framework_name=framework.name, req=req[:40]
                )
            )
        if not request.access.can_write(self.country.pk):
            raise exceptions.PermissionDenied(_("Only a country admin or an officer can set a status."))
        serializer = StatusSetSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        owner = None
        if data.get("owner"):
            owner = Membership.objects.filter(country=self.country, pk=data["owner"]).first()
            if owner is None:
                raise serializers.ValidationError(
                    {
                        "owner": [
                            _("{country_name} has no member {id}.").format(
                                country_name=self.country.display_name, id=data["owner"]
                            )
                        ]
                    }
                )
        services.requirement_status_set(
            country=self.country,
            requirement=requirement,
            by=request.user,
            access=request.access,
            status=data["status"],
            owner=owner,
            note=data["note"],
        )
        row = next(
            r for r in selectors.framework_rows(country=self.country, framework=framework) if r.pk == requirement.pk
        )
        return Response(RequirementStatusSerializer(row).data)


# --- Evidence ---------------------------------------------------------------------------------------


class EvidenceSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    version = serializers.IntegerField()
    kind = serializers.CharField()
    size = serializers.IntegerField()
    sha256 = serializers.CharField()
    uploaded_at = serializers.DateTimeField()


class EvidenceUploadSerializer(StrictSerializer):
    file = serializers.FileField(
        help_text=gettext_lazy("PDF, PNG, JPEG, DOCX, XLSX, TXT or CSV; the type is read from the content.")
    )


class EvidenceListApi(CountryAPIView):
    """The evidence files of one requirement (every version), and uploads of new ones."""

    def _requirement(self, slug, req):
        framework = _framework(self, slug)
        requirement = selectors.requirement_get(framework=framework, code=req)
        if requirement is None:
            raise exceptions.NotFound(
                _("Not found: {framework_name} has no requirement {req}.").format(
                    framework_name=framework.name, req=req[:40]
                )
            )
        return requirement

    @extend_schema(
        operation_id="country_requirement_evidence_list",
        summary="The evidence files of one requirement, every version",
        tags=["governance"],
        parameters=[CODE_PARAMETER, SLUG_PARAMETER, REQ_PARAMETER],
        responses={200: EvidenceSerializer(many=True), **errors(401, 404)},
    )
    def get(self, request, code, slug, req):
        items = selectors.evidence_list(country=self.country, requirement=self._requirement(slug, req))
        return Response(EvidenceSerializer(items, many=True).data)

    @extend_schema(
        operation_id="country_requirement_evidence_upload",
        summary="Upload an evidence file (country admins and officers)",
        tags=["governance"],
        parameters=[CODE_PARAMETER, SLUG_PARAMETER, REQ_PARAMETER],
        request={"multipart/form-data": EvidenceUploadSerializer},
        responses={201: EvidenceSerializer, **errors(400, 401, 403, 404)},
    )
    def post(self, request, code, slug, req):
        requirement = self._requirement(slug, req)
        if not request.access.can_write(self.country.pk):
            raise exceptions.PermissionDenied(_("Only a country admin or an officer can add evidence."))
        serializer = EvidenceUploadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        upload = serializer.validated_data["file"]
        data = upload.read(evidence.max_bytes() + 1)
        item = evidence.evidence_upload(
            country=self.country,
            requirement=requirement,
            by=request.user,
            access=request.access,
            name=upload.name,
            data=data,
        )
        return Response(EvidenceSerializer(item).data, status=status.HTTP_201_CREATED)
