"""The JSON API of training: the platform catalogue, and under each country its programmes (with
what each role must hold), enrolments and quiz answers. Thin views over selectors and services."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response

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

from . import authoring, selectors, services, sharing
from .models import CountryRequirement, Enrolment, PlatformRequirement, Programme

User = get_user_model()


class ProgrammeSerializer(serializers.Serializer):
    slug = serializers.CharField(help_text=gettext_lazy("The programme's code, used in rosters and enrolments."))
    title = serializers.CharField()
    summary = serializers.CharField()
    version = serializers.IntegerField(
        source="latest_number", help_text=gettext_lazy("The version new enrolments start on.")
    )
    kind = serializers.SerializerMethodField(
        help_text=gettext_lazy("catalogue (the platform's) or country (this country's own).")
    )
    required_for = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        help_text=gettext_lazy("Roles that must hold it in this country (without sector or capability)."),
    )

    def get_kind(self, programme) -> str:
        return "catalogue" if isinstance(programme, Programme) else "country"


def _programmes_with_versions():
    from django.db.models import Max

    return selectors.programme_list().annotate(latest_number=Max("versions__number"))


@extend_schema_field(authoring.CONTENT_SCHEMA)
class ProgrammeContentField(serializers.JSONField):
    """Any JSON on the way in; its shape (authoring.CONTENT_SCHEMA) is the service's to check, so
    that the page and the API refuse the same things with the same field paths."""


class ProgrammeCreateSerializer(StrictSerializer):
    title = serializers.CharField(max_length=200)
    summary = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")
    pass_mark = serializers.IntegerField(min_value=1, max_value=100, default=80)
    content = ProgrammeContentField(
        help_text=gettext_lazy(
            "The modules: each with its title, its text (Markdown), links and a quiz. Errors name the field at fault, e.g. content.modules[0].links[1].url."
        )
    )


class CatalogueApi(ApiView):
    """The platform-wide catalogue any country may take."""

    @extend_schema(
        operation_id="training_catalogue",
        tags=["training"],
        responses={200: ProgrammeSerializer(many=True), **errors(401)},
    )
    def get(self, request):
        return Response(ProgrammeSerializer(_programmes_with_versions(), many=True).data)


class ProgrammeListApi(CountryAPIView):
    """The catalogue as it applies to this country: which roles must hold each programme."""

    @extend_schema(
        operation_id="training_programmes_list",
        tags=["training"],
        parameters=[CODE_PARAMETER],
        responses={200: ProgrammeSerializer(many=True), **errors(401, 404)},
    )
    def get(self, request, code):
        required: dict[int, set[str]] = {}
        pairs = list(PlatformRequirement.objects.filter(sector="", capability="").values_list("programme_id", "role"))
        pairs += list(CountryRequirement.objects.filter(sector="", capability="").values_list("programme_id", "role"))
        for programme_id, role in pairs:
            required.setdefault(programme_id, set()).add(role)
        programmes = list(_programmes_with_versions())
        for programme in programmes:
            programme.required_for = sorted(required.get(programme.pk, set()))
        return Response(ProgrammeSerializer([*programmes, *self._own()], many=True).data)

    def _own(self):
        from django.db.models import Max

        return selectors.country_programme_list(country=self.country).annotate(latest_number=Max("versions__number"))

    @extend_schema(
        operation_id="training_programmes_create",
        tags=["training"],
        parameters=[CODE_PARAMETER],
        description=_("Write one of the country's own programmes (country admins)."),
        request=ProgrammeCreateSerializer,
        responses={201: ProgrammeSerializer, **errors(400, 401, 403, 404)},
    )
    def post(self, request, code):
        self.require_country_admin()
        serializer = ProgrammeCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        programme = sharing.country_programme_create(
            country=self.country, by=request.user, access=request.access, **serializer.validated_data
        )
        created = self._own().get(pk=programme.pk)
        return Response(ProgrammeSerializer(created).data, status=status.HTTP_201_CREATED)


class EnrolmentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    user = serializers.IntegerField(source="user_id")
    programme = serializers.CharField(source="course.slug")
    version = serializers.IntegerField(source="pinned.number")
    status = serializers.ChoiceField(choices=Enrolment.Status.choices)
    source = serializers.ChoiceField(choices=Enrolment.Source.choices)
    modules_done = serializers.IntegerField()
    modules_total = serializers.SerializerMethodField()
    due_date = serializers.DateField(allow_null=True)
    enrolled_at = serializers.DateTimeField()
    completed_at = serializers.DateTimeField(allow_null=True)
    renews = serializers.IntegerField(
        source="renews_id",
        allow_null=True,
        help_text=gettext_lazy("The earlier enrolment whose certificate this one renews (it stays, as history)."),
    )
    current = serializers.BooleanField(
        help_text=gettext_lazy("False once a renewal took its place: it is then the person's history.")
    )

    def get_modules_total(self, enrolment) -> int:
        return len(enrolment.pinned.modules)


class EnrolmentCreateSerializer(StrictSerializer):
    programme = serializers.SlugField(
        max_length=60,
        help_text=gettext_lazy(
            "Programme code: a catalogue slug such as ai-literacy, or local-<id> for the country's own."
        ),
    )
    user = serializers.IntegerField(
        min_value=1,
        max_value=MAX_ID,
        required=False,
        help_text=gettext_lazy("Whom to enrol (country admins); yourself when left out."),
    )
    due_date = serializers.DateField(required=False, allow_null=True, default=None)

    def validate_programme(self, value: str) -> Programme:
        programme = selectors.programme_get(slug=value, country=self.context["country"])
        if programme is None:
            raise serializers.ValidationError(
                _("There is no programme '{value}'. See /api/v1/training/catalogue/.").format(value=value)
            )
        return programme


class QuizSerializer(StrictSerializer):
    module = serializers.IntegerField(
        min_value=0, max_value=1000, help_text=gettext_lazy("Position of the module, from 0.")
    )
    answers = serializers.ListField(
        child=serializers.IntegerField(min_value=0, max_value=1000),
        max_length=100,
        help_text=gettext_lazy("For each question, the position of the chosen option, from 0."),
    )


class QuizResultSerializer(serializers.Serializer):
    correct = serializers.IntegerField()
    total = serializers.IntegerField()
    passed = serializers.BooleanField()
    enrolment_status = serializers.CharField()


class EnrolmentListApi(CountryAPIView):
    """Enrolments: everyone's for country admins, partner managers and auditors; your own otherwise."""

    pagination_class = CursorPage
    ordering = "-id"

    @extend_schema(
        operation_id="training_enrolments_list",
        summary="Enrolments you can see",
        description=_("Everyone's for country admins, partner managers and auditors; your own otherwise."),
        tags=["training"],
        parameters=[CODE_PARAMETER],
        responses={200: EnrolmentSerializer(many=True), **errors(401, 404)},
    )
    def get(self, request, code):
        return self.paginate(
            selectors.enrolment_list_visible(country=self.country, access=request.access), EnrolmentSerializer
        )

    @extend_schema(
        operation_id="training_enrolments_create",
        summary="Enrol in a programme",
        description=_("Enrol yourself, or (country admins) another member of the country."),
        tags=["training"],
        parameters=[CODE_PARAMETER],
        request=EnrolmentCreateSerializer,
        responses={201: EnrolmentSerializer, **errors(400, 401, 403, 404)},
    )
    def post(self, request, code):
        serializer = EnrolmentCreateSerializer(data=request.data, context=self.context())
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        user = request.user
        if data.get("user") and data["user"] != request.user.pk:
            self.require_country_admin()
            user = User.objects.filter(pk=data["user"]).first()
            if user is None:
                raise exceptions.ValidationError(
                    {
                        "user": [
                            _("Choose an active member of {country_name}.").format(
                                country_name=self.country.display_name
                            )
                        ]
                    }
                )
        enrolment = services.enrolment_create(
            country=self.country,
            by=request.user,
            access=request.access,
            user=user,
            programme=data["programme"],
            due_date=data["due_date"],
        )
        created = selectors.enrolment_get_visible(country=self.country, access=request.access, pk=enrolment.pk)
        return Response(EnrolmentSerializer(created).data, status=status.HTTP_201_CREATED)


class _EnrolmentApi(CountryAPIView):
    def get_enrolment(self, id: str) -> Enrolment:
        enrolment = selectors.enrolment_get_visible(country=self.country, access=self.request.access, pk=object_id(id))
        if enrolment is None:
            raise exceptions.NotFound(
                _("Not found: no enrolment {id} among those you can see in {country_name}.").format(
                    id=id, country_name=self.country.display_name
                )
            )
        return enrolment


class EnrolmentDetailApi(_EnrolmentApi):
    """One enrolment: its programme, pinned version and progress."""

    @extend_schema(
        operation_id="training_enrolments_retrieve",
        summary="One enrolment, with its pinned version and progress",
        tags=["training"],
        parameters=[CODE_PARAMETER, ID_PARAMETER],
        responses={200: EnrolmentSerializer, **errors(401, 404)},
    )
    def get(self, request, code, id):
        return Response(EnrolmentSerializer(self.get_enrolment(id)).data)


class EnrolmentQuizApi(_EnrolmentApi):
    """Answers to one module's quiz."""

    @extend_schema(
        operation_id="training_enrolments_quiz",
        tags=["training"],
        parameters=[CODE_PARAMETER, ID_PARAMETER],
        description=_(
            "Answer a module's quiz (the person enrolled). Scored on the server; a pass completes the module, and the last module issues the certificate."
        ),
        request=QuizSerializer,
        responses={200: QuizResultSerializer, **errors(400, 401, 403, 404)},
    )
    def post(self, request, code, id):
        enrolment = self.get_enrolment(id)
        serializer = QuizSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        attempt = services.quiz_submit(
            enrolment=enrolment, by=request.user, access=request.access, **serializer.validated_data
        )
        enrolment.refresh_from_db(fields=["status"])
        return Response(
            {
                "correct": attempt.correct,
                "total": attempt.total,
                "passed": attempt.passed,
                "enrolment_status": enrolment.status,
            }
        )
