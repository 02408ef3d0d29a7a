"""API of compliance reports: /api/v1/countries/<CODE>/compliance-reports/ (list, request), one
report with its progress, and its download. For the country's auditors and partner managers; for
anyone else the country's reports do not exist (404)."""

from __future__ import annotations

from django.http import FileResponse
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.reverse import reverse

from tenants.country_state import allowed_after_exit
from tenants.errors import NotAllowed
from tenants.languages.headings import KEYS
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

from .models import ComplianceReport
from .reports import selectors, services, summary


class ReportSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    period_start = serializers.DateField()
    period_end = serializers.DateField()
    requested_role = serializers.CharField()
    state = serializers.CharField()
    state_label = serializers.CharField(source="get_state_display")
    step = serializers.CharField(
        source="step_text", help_text=gettext_lazy("The step under way, in the reader's language.")
    )
    step_code = serializers.CharField(source="step", help_text=gettext_lazy("The step's stable code."))
    step_params = serializers.DictField(help_text=gettext_lazy("The values the step's text names."))
    percent = serializers.IntegerField()
    file_name = serializers.CharField()
    size = serializers.IntegerField()
    sha256 = serializers.CharField()
    created_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)
    expires_at = serializers.DateTimeField(allow_null=True)
    download_url = serializers.SerializerMethodField()

    def get_download_url(self, report: ComplianceReport) -> str | None:
        if not report.downloadable:
            return None
        return reverse(
            "api-compliance-report-download",
            kwargs={"code": report.country.code, "id": str(report.pk)},
            request=self.context.get("request"),
        )


class ReportRequestSerializer(StrictSerializer):
    kind = serializers.ChoiceField(choices=ComplianceReport.Kind.choices, default=ComplianceReport.Kind.PACK)
    period_start = serializers.DateField()
    period_end = serializers.DateField()
    headings = serializers.ChoiceField(
        choices=["keys", "language"],
        default="keys",
        help_text=gettext_lazy(
            "The column headings of the CSV files and the spreadsheet: 'keys' (stable, for programs) or "
            "'language' (the language of this request, from Accept-Language)."
        ),
    )


class _ReportView(CountryAPIView):
    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        try:
            services.report_role(access=request.access, country=self.country)
        except NotAllowed:
            raise exceptions.NotFound(
                _("Not found: {country_name}'s compliance reports are for its auditors and partner managers.").format(
                    country_name=self.country.display_name
                )
            ) from None

    def report(self, id: str) -> ComplianceReport:
        report = selectors.report_get(country=self.country, pk=object_id(id))
        if report is None:
            raise exceptions.NotFound(
                _("Not found: {country_name} has no compliance report {id}.").format(
                    country_name=self.country.display_name, id=id
                )
            )
        return report


@allowed_after_exit
class ReportListApi(_ReportView):
    """The country's compliance reports, newest first, and requests for new ones."""

    pagination_class = CursorPage
    ordering = ("-created_at", "-id")

    @extend_schema(
        operation_id="compliance_reports_list",
        summary="The country's compliance reports, newest first",
        tags=["audit"],
        parameters=[CODE_PARAMETER],
        responses={200: ReportSerializer(many=True), **errors(401, 404)},
    )
    def get(self, request, code):
        return self.paginate(selectors.report_list(country=self.country), ReportSerializer)

    @extend_schema(
        operation_id="compliance_reports_request",
        tags=["audit"],
        parameters=[CODE_PARAMETER],
        description=_(
            "Ask for a compliance pack or a ledger-only export of a period; a worker builds it. Follow its progress on the report, then download it. While a report of the same kind, period and headings is waiting or being built, the request is refused (400) and the answer's 'report' is that one."
        ),
        request=ReportRequestSerializer,
        responses={202: ReportSerializer, **errors(400, 401, 404)},
    )
    def post(self, request, code):
        serializer = ReportRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        fields = dict(serializer.validated_data)
        fields["headings"] = get_language() if fields.pop("headings") == "language" else KEYS
        try:
            report = services.report_request(country=self.country, access=request.access, by=request.user, **fields)
        except services.ReportUnderWay as refusal:  # nothing new: the one under way is given to follow
            running = selectors.report_get(country=self.country, pk=refusal.report.pk)
            return Response(
                {
                    "detail": refusal.message,
                    "errors": {"non_field_errors": [refusal.message]},
                    "report": ReportSerializer(running, context=self.context()).data,
                },
                status=status.HTTP_400_BAD_REQUEST,
            )
        report = selectors.report_get(country=self.country, pk=report.pk)
        return Response(ReportSerializer(report, context=self.context()).data, status=status.HTTP_202_ACCEPTED)


class ReportDetailApi(_ReportView):
    """One report with its progress (state, step, percent) and, once ready, its download link."""

    @extend_schema(
        operation_id="compliance_reports_retrieve",
        tags=["audit"],
        parameters=[CODE_PARAMETER, ID_PARAMETER],
        responses={200: ReportSerializer, **errors(401, 404)},
    )
    def get(self, request, code, id):
        return Response(ReportSerializer(self.report(id), context=self.context()).data)


class ReportDownloadApi(_ReportView):
    """The signed bundle (zip); the download is recorded on the country's ledger."""

    @extend_schema(
        operation_id="compliance_reports_download",
        summary="Download the signed bundle (zip)",
        tags=["audit"],
        parameters=[CODE_PARAMETER, ID_PARAMETER],
        responses={
            (200, "application/zip"): OpenApiResponse(OpenApiTypes.BINARY, description=_("The bundle")),
            **errors(400, 401, 404, 410),
        },
    )
    def get(self, request, code, id):
        report = self.report(id)
        handle = services.report_download(report=report, access=request.access, by=request.user)
        return FileResponse(handle, as_attachment=True, filename=report.file_name, content_type="application/zip")


class SummaryQuerySerializer(StrictSerializer):
    period_start = serializers.DateField(source="start")
    period_end = serializers.DateField(source="end")


class SummaryRowSerializer(serializers.Serializer):
    """One country's figures: those of the summary page (/summary/), under the same names, and the
    ledger events of the period."""

    country = serializers.CharField()
    events = serializers.IntegerField(help_text=gettext_lazy("Ledger events in the period."))
    engagement_state = serializers.CharField(
        help_text=gettext_lazy("The state of the country's current engagement; empty when it has none.")
    )
    steps_done = serializers.IntegerField(help_text=gettext_lazy("Onboarding steps completed."))
    steps = serializers.IntegerField(help_text=gettext_lazy("Onboarding steps in all."))
    policies_published = serializers.IntegerField()
    ack_current = serializers.IntegerField(help_text=gettext_lazy("Acknowledgements of current policy versions."))
    ack_required = serializers.IntegerField(help_text=gettext_lazy("Acknowledgements the policies ask for."))
    assessments_completed = serializers.IntegerField()
    assessments_high_risk = serializers.IntegerField()
    trained = serializers.IntegerField(help_text=gettext_lazy("Country admins and officers fully trained."))
    training_total = serializers.IntegerField(help_text=gettext_lazy("Country admins and officers in all."))
    environments_active = serializers.IntegerField()
    requests_waiting = serializers.IntegerField(help_text=gettext_lazy("Deployment requests waiting for a decision."))
    incidents = serializers.IntegerField()
    incidents_open = serializers.IntegerField()
    incidents_late = serializers.IntegerField(
        help_text=gettext_lazy("Reported after, or still unreported past, the deadline.")
    )


class ComplianceSummarySerializer(serializers.Serializer):
    period_start = serializers.DateField()
    period_end = serializers.DateField()
    countries = SummaryRowSerializer(many=True)


class ComplianceSummaryApi(ApiView):
    """Counts for each country this person audits or manages (the platform admin: every country), the
    figures of the summary page: country codes and numbers only."""

    @extend_schema(
        operation_id="compliance_summary",
        tags=["audit"],
        parameters=[SummaryQuerySerializer],
        responses={200: ComplianceSummarySerializer, **errors(400, 401)},
    )
    def get(self, request):
        query = SummaryQuerySerializer(data=request.query_params.dict())
        query.is_valid(raise_exception=True)
        period = services.period_check(**query.validated_data)
        rows = summary.summary_read(access=request.access, period=period)
        return Response(
            {
                "period_start": period.start,
                "period_end": period.end,
                "countries": SummaryRowSerializer(rows, many=True).data,
            }
        )
