"""The JSON API of governance: the programme's policy templates and frameworks (read-only), and
under /countries/<code>/ the country's policies and acknowledgements, impact assessments,
and incidents. Framework statuses and evidence are in governance.control_api. Thin views on the tenants building blocks: shape in the
serializers, rules in the services, reads in the selectors."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response

from tenants.rest import (
    CODE_PARAMETER,
    ID_PARAMETER,
    ApiView,
    CountryAPIView,
    CursorPage,
    StrictSerializer,
    errors,
    object_id,
)

from . import incidents, selectors, services
from .models import CountryPolicy, ImpactAssessment, Incident, PolicyTemplate, PolicyVersion

# --- Programme catalogue -----------------------------------------------------------------------------


class PolicyTemplateSerializer(serializers.Serializer):
    slug = serializers.CharField()
    title = serializers.CharField()
    summary = serializers.CharField()
    language = serializers.CharField()
    default_roles = serializers.ListField(child=serializers.CharField())
    text = serializers.CharField()


class PolicyTemplateListApi(ApiView):
    """The programme's policy templates, which any country may adopt."""

    @extend_schema(
        operation_id="policy_templates_list",
        tags=["governance"],
        responses={200: PolicyTemplateSerializer(many=True), **errors(401)},
    )
    def get(self, request):
        return Response(PolicyTemplateSerializer(PolicyTemplate.objects.order_by("slug"), many=True).data)


class RequirementSerializer(serializers.Serializer):
    code = serializers.CharField()
    reference = serializers.CharField()
    title = serializers.CharField()
    assessable = serializers.BooleanField(
        help_text=gettext_lazy("False for a heading that groups the requirements under it.")
    )
    depth = serializers.IntegerField(
        help_text=gettext_lazy("1 for a top-level requirement, 2 under a heading, and so on.")
    )


class FrameworkSerializer(serializers.Serializer):
    slug = serializers.CharField()
    version = serializers.IntegerField(
        help_text=gettext_lazy("The current version; earlier ones stay readable in the portal.")
    )
    name = serializers.CharField()
    summary = serializers.CharField()
    language = serializers.CharField()
    source_url = serializers.CharField(help_text=gettext_lazy("Where the official text of the source is."))
    requirements = RequirementSerializer(many=True)


class FrameworkListApi(ApiView):
    """The frameworks and their main requirements (two queries whatever their number)."""

    @extend_schema(
        operation_id="frameworks_list",
        tags=["governance"],
        responses={200: FrameworkSerializer(many=True), **errors(401)},
    )
    def get(self, request):
        frameworks = selectors.framework_list().prefetch_related("requirements")
        return Response(FrameworkSerializer(frameworks, many=True).data)


# --- Policies -------------------------------------------------------------------------------------


class PolicySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    origin = serializers.ChoiceField(choices=CountryPolicy.Origin.choices)
    template = serializers.CharField(
        source="template.slug",
        default=None,
        allow_null=True,
        help_text=gettext_lazy("Slug of the programme template it came from, if any."),
    )
    is_shared = serializers.BooleanField()
    read_only = serializers.BooleanField()
    current_version = serializers.IntegerField(source="current_number", allow_null=True)


class VersionSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    language = serializers.CharField()
    status = serializers.ChoiceField(choices=PolicyVersion.Status.choices)
    roles = serializers.ListField(child=serializers.CharField())
    published_at = serializers.DateTimeField(allow_null=True)
    text = serializers.CharField()


class PolicyDetailSerializer(PolicySerializer):
    versions = serializers.SerializerMethodField()

    def get_versions(self, policy) -> list[dict]:
        return VersionSerializer(selectors.version_list(policy=policy), many=True).data


class PolicyAdoptSerializer(StrictSerializer):
    template = serializers.SlugField(required=False, help_text=gettext_lazy("Slug of a programme template."))
    shared = serializers.IntegerField(
        required=False, min_value=1, help_text=gettext_lazy("Id of a policy shared by another country.")
    )


class PolicyListApi(CountryAPIView):
    """The country's adopted policies."""

    pagination_class = CursorPage
    ordering = "id"

    @extend_schema(
        operation_id="policies_list",
        tags=["governance"],
        parameters=[CODE_PARAMETER],
        responses={200: PolicySerializer(many=True), **errors(401, 404)},
    )
    def get(self, request, code):
        return self.paginate(selectors.policy_list(country=self.country).select_related("template"), PolicySerializer)

    @extend_schema(
        operation_id="policies_adopt",
        tags=["governance"],
        parameters=[CODE_PARAMETER],
        description=_(
            "Adopt a programme template, or a read-only copy of another country's shared policy (country admins)."
        ),
        request=PolicyAdoptSerializer,
        responses={201: PolicyDetailSerializer, **errors(400, 401, 403, 404)},
    )
    def post(self, request, code):
        self.require_country_admin()
        serializer = PolicyAdoptSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        template = (
            PolicyTemplate.objects.filter(slug=data.get("template", "")).first() if data.get("template") else None
        )
        if data.get("template") and template is None:
            raise serializers.ValidationError(
                {"template": [_("There is no template with this slug; see /api/v1/policy-templates/.")]}
            )
        shared = (
            selectors.shared_policy_list(exclude_country=self.country).filter(pk=data["shared"]).first()
            if data.get("shared")
            else None
        )
        if data.get("shared") and shared is None:
            raise serializers.ValidationError({"shared": [_("No policy with this id is shared with your country.")]})
        policy = services.policy_adopt(
            country=self.country, by=request.user, access=request.access, template=template, shared=shared
        )
        return Response(
            PolicyDetailSerializer(selectors.policy_get(country=self.country, pk=policy.pk)).data,
            status=status.HTTP_201_CREATED,
        )


class PolicyDetailApi(CountryAPIView):
    """One adopted policy with its versions."""

    @extend_schema(
        operation_id="policies_retrieve",
        tags=["governance"],
        parameters=[CODE_PARAMETER, ID_PARAMETER],
        responses={200: PolicyDetailSerializer, **errors(401, 404)},
    )
    def get(self, request, code, id):
        policy = selectors.policy_get(country=self.country, pk=object_id(id))
        if policy is None:
            raise exceptions.NotFound(
                _("Not found: {country_name} has no policy {id}.").format(country_name=self.country.display_name, id=id)
            )
        return Response(PolicyDetailSerializer(policy).data)


class AcknowledgementSerializer(serializers.Serializer):
    policy = serializers.IntegerField(source="version.policy_id")
    version = serializers.IntegerField(source="version.number")
    at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField()


class PolicyAcknowledgeApi(CountryAPIView):
    """Acknowledge the current published version of a policy, as the signed-in person."""

    @extend_schema(
        operation_id="policies_acknowledge",
        tags=["governance"],
        request=None,
        parameters=[CODE_PARAMETER, ID_PARAMETER],
        responses={201: AcknowledgementSerializer, **errors(400, 401, 403, 404)},
    )
    def post(self, request, code, id):
        policy = selectors.policy_get(country=self.country, pk=object_id(id))
        if policy is None:
            raise exceptions.NotFound(
                _("Not found: {country_name} has no policy {id}.").format(country_name=self.country.display_name, id=id)
            )
        version = services.policy_current_version(policy=policy)
        if version is None:
            raise exceptions.ValidationError(_("This policy has no published version to acknowledge yet."))
        ack = services.acknowledgement_create(version=version, by=request.user, access=request.access)
        return Response(AcknowledgementSerializer(ack).data, status=status.HTTP_201_CREATED)


# --- Assessments ----------------------------------------------------------------------------------


class AssessmentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    use_reference = serializers.CharField()
    status = serializers.ChoiceField(choices=ImpactAssessment.Status.choices)
    questionnaire_version = serializers.IntegerField()
    answers = serializers.DictField()
    raw_score = serializers.IntegerField(allow_null=True)
    mitigation_score = serializers.IntegerField(allow_null=True)
    impact_level = serializers.IntegerField(allow_null=True, help_text=gettext_lazy("1 to 4 (I to IV)."))
    category = serializers.CharField(
        help_text=gettext_lazy("prohibited, high_risk, limited or minimal; empty for a draft.")
    )
    obligations = serializers.ListField(child=serializers.CharField())
    supersedes = serializers.IntegerField(source="supersedes_id", allow_null=True)
    created_at = serializers.DateTimeField()
    completed_at = serializers.DateTimeField(allow_null=True)


class AssessmentCreateSerializer(StrictSerializer):
    title = serializers.CharField(max_length=200)
    use_reference = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    answers = serializers.DictField(required=False, default=dict)
    supersedes = serializers.IntegerField(required=False, min_value=1)


class AnswersSerializer(StrictSerializer):
    answers = serializers.DictField()


def _assessment(view: CountryAPIView, id: str) -> ImpactAssessment:
    assessment = selectors.assessment_get(country=view.country, pk=object_id(id))
    if assessment is None:
        raise exceptions.NotFound(
            _("Not found: {country_name} has no assessment {id}.").format(country_name=view.country.display_name, id=id)
        )
    return assessment


class AssessmentListApi(CountryAPIView):
    """The country's impact assessments, newest first, and new drafts."""

    pagination_class = CursorPage
    ordering = "-id"

    @extend_schema(
        operation_id="assessments_list",
        tags=["governance"],
        parameters=[CODE_PARAMETER],
        responses={200: AssessmentSerializer(many=True), **errors(401, 404)},
    )
    def get(self, request, code):
        return self.paginate(selectors.assessment_list(country=self.country), AssessmentSerializer)

    @extend_schema(
        operation_id="assessments_create",
        tags=["governance"],
        parameters=[CODE_PARAMETER],
        description=_("Start a draft impact assessment (country admins and officers)."),
        request=AssessmentCreateSerializer,
        responses={201: AssessmentSerializer, **errors(400, 401, 403, 404)},
    )
    def post(self, request, code):
        if not request.access.can_write(self.country.pk):
            raise exceptions.PermissionDenied(_("Only a country admin or an officer can start an assessment."))
        serializer = AssessmentCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        supersedes = None
        if data.get("supersedes"):
            supersedes = selectors.assessment_get(country=self.country, pk=data["supersedes"])
            if supersedes is None:
                raise serializers.ValidationError(
                    {
                        "supersedes": [
                            _("{country_name} has no assessment {id}.").format(
                                country_name=self.country.display_name, id=data["supersedes"]
                            )
                        ]
                    }
                )
        data["supersedes"] = supersedes
        assessment = services.assessment_create(country=self.country, by=request.user, access=request.access, **data)
        return Response(AssessmentSerializer(assessment).data, status=status.HTTP_201_CREATED)


class AssessmentDetailApi(CountryAPIView):
    """One impact assessment with its answers and, once completed, its scores and category."""

    @extend_schema(
        operation_id="assessments_retrieve",
        tags=["governance"],
        parameters=[CODE_PARAMETER, ID_PARAMETER],
        responses={200: AssessmentSerializer, **errors(401, 404)},
    )
    def get(self, request, code, id):
        return Response(AssessmentSerializer(_assessment(self, id)).data)


class AssessmentAnswersApi(CountryAPIView):
    @extend_schema(
        operation_id="assessments_answer",
        tags=["governance"],
        parameters=[CODE_PARAMETER, ID_PARAMETER],
        description=_("Save some or all answers of a draft (they merge with those saved before)."),
        request=AnswersSerializer,
        responses={200: AssessmentSerializer, **errors(400, 401, 403, 404)},
    )
    def post(self, request, code, id):
        assessment = _assessment(self, id)
        serializer = AnswersSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        saved = services.assessment_save_answers(
            assessment=assessment, by=request.user, access=request.access, answers=serializer.validated_data["answers"]
        )
        return Response(AssessmentSerializer(saved).data)


class AssessmentCompleteApi(CountryAPIView):
    @extend_schema(
        operation_id="assessments_complete",
        tags=["governance"],
        request=None,
        parameters=[CODE_PARAMETER, ID_PARAMETER],
        description=_("Score and freeze a draft whose questions are all answered."),
        responses={200: AssessmentSerializer, **errors(400, 401, 403, 404)},
    )
    def post(self, request, code, id):
        done = services.assessment_complete(assessment=_assessment(self, id), by=request.user, access=request.access)
        return Response(AssessmentSerializer(done).data)


# --- Incidents ------------------------------------------------------------------------------------


class IncidentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    severity = serializers.ChoiceField(choices=Incident.Severity.choices)
    status = serializers.ChoiceField(choices=Incident.Status.choices)
    deployment_reference = serializers.CharField()
    assessment = serializers.IntegerField(source="assessment_id", allow_null=True)
    people_affected = serializers.IntegerField()
    description = serializers.CharField()
    steps_taken = serializers.CharField()
    detected_at = serializers.DateTimeField()
    report_due_at = serializers.DateTimeField()
    reported_at = serializers.DateTimeField(allow_null=True)
    overdue = serializers.BooleanField()


class IncidentCreateSerializer(StrictSerializer):
    title = serializers.CharField(max_length=200)
    severity = serializers.ChoiceField(choices=Incident.Severity.choices)
    description = serializers.CharField(max_length=20000)
    people_affected = serializers.IntegerField(min_value=0, max_value=2_000_000_000, default=0)
    steps_taken = serializers.CharField(max_length=20000, required=False, allow_blank=True, default="")
    deployment_reference = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    assessment = serializers.IntegerField(required=False, min_value=1)
    detected_at = serializers.DateTimeField(required=False)


class IncidentAdvanceSerializer(StrictSerializer):
    steps_taken = serializers.CharField(max_length=20000, required=False, allow_blank=True)


def _incident(view, id) -> Incident:
    incident = selectors.incident_get(country=view.country, pk=object_id(id))
    if incident is None:
        raise exceptions.NotFound(
            _("Not found: {country_name} has no incident {id}.").format(country_name=view.country.display_name, id=id)
        )
    return incident


class IncidentListApi(CountryAPIView):
    """The country's AI incidents, newest first, and new reports."""

    pagination_class = CursorPage
    ordering = "-id"

    @extend_schema(
        operation_id="incidents_list",
        tags=["governance"],
        parameters=[CODE_PARAMETER],
        responses={200: IncidentSerializer(many=True), **errors(401, 404)},
    )
    def get(self, request, code):
        return self.paginate(selectors.incident_list(country=self.country), IncidentSerializer)

    @extend_schema(
        operation_id="incidents_report",
        tags=["governance"],
        parameters=[CODE_PARAMETER],
        description=_("Report an AI incident against a deployment reference or an assessed use."),
        request=IncidentCreateSerializer,
        responses={201: IncidentSerializer, **errors(400, 401, 403, 404)},
    )
    def post(self, request, code):
        if not request.access.can_write(self.country.pk):
            raise exceptions.PermissionDenied(_("Only a country admin or an officer can report an incident."))
        serializer = IncidentCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        if data.get("assessment"):
            found = selectors.assessment_get(country=self.country, pk=data["assessment"])
            if found is None:
                raise serializers.ValidationError(
                    {
                        "assessment": [
                            _("{country_name} has no assessment {id}.").format(
                                country_name=self.country.display_name, id=data["assessment"]
                            )
                        ]
                    }
                )
            data["assessment"] = found
        incident = incidents.incident_report(country=self.country, by=request.user, access=request.access, **data)
        return Response(IncidentSerializer(incident).data, status=status.HTTP_201_CREATED)


class IncidentDetailApi(CountryAPIView):
    """One incident with its deadline and the steps taken."""

    @extend_schema(
        operation_id="incidents_retrieve",
        tags=["governance"],
        parameters=[CODE_PARAMETER, ID_PARAMETER],
        responses={200: IncidentSerializer, **errors(401, 404)},
    )
    def get(self, request, code, id):
        return Response(IncidentSerializer(_incident(self, id)).data)


class IncidentAdvanceApi(CountryAPIView):
    @extend_schema(
        operation_id="incidents_advance",
        tags=["governance"],
        parameters=[CODE_PARAMETER, ID_PARAMETER],
        description=_("Move the incident one step: open → investigating → resolved → closed."),
        request=IncidentAdvanceSerializer,
        responses={200: IncidentSerializer, **errors(400, 401, 403, 404)},
    )
    def post(self, request, code, id):
        incident = _incident(self, id)
        serializer = IncidentAdvanceSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        changed = incidents.incident_advance(
            incident=incident,
            by=request.user,
            access=request.access,
            steps_taken=serializer.validated_data.get("steps_taken"),
        )
        return Response(IncidentSerializer(changed).data)


class IncidentReportedApi(CountryAPIView):
    @extend_schema(
        operation_id="incidents_mark_reported",
        tags=["governance"],
        request=None,
        parameters=[CODE_PARAMETER, ID_PARAMETER],
        description=_("Record that the incident was reported to the programme; stops the deadline reminders."),
        responses={200: IncidentSerializer, **errors(400, 401, 403, 404)},
    )
    def post(self, request, code, id):
        changed = incidents.incident_mark_reported(incident=_incident(self, id), by=request.user, access=request.access)
        return Response(IncidentSerializer(changed).data)
