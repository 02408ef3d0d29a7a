"""The API under /api/v1/ (DESIGN §8): tokens, the OpenAPI schema and its offline docs, countries
and everything a country owns nested under /countries/<code>/. Included by portal/urls.py."""

from django.http import HttpResponsePermanentRedirect, JsonResponse
from django.urls import Resolver404, path, re_path, resolve
from django.views.decorators.csrf import csrf_exempt

from deployments import api as deployments_api
from deployments import review_api as deployments_review_api
from engagements import api as engagement_api
from governance import api as governance_api
from governance import control_api as governance_control_api
from portal import report_api
from tenants import api as tenants_api
from tenants import rest
from tenants.identity import api as identity_api
from tenants.keys import api as keys_api
from tenants.record import api as ledger_api
from training import api as training_api


@csrf_exempt  # it changes nothing, and answers JSON to every method
def api_not_found(request, *args, **kwargs):
    """Any other path under /api/v1/: a JSON 404 rather than the HTML page, and the slash that
    Django's APPEND_SLASH would have added (a catch-all route stops it from doing so)."""
    path_info = request.path_info
    if not path_info.endswith("/"):
        try:
            match = resolve(path_info + "/")
        except Resolver404:
            match = None
        if match is not None and match.func is not api_not_found:
            if request.method in ("GET", "HEAD"):
                query = request.META.get("QUERY_STRING", "")
                return HttpResponsePermanentRedirect(request.path + "/" + (f"?{query}" if query else ""))
            return JsonResponse({"detail": f"Not found. API paths end with a slash: {request.path}/"}, status=404)
    return JsonResponse(
        {"detail": "Not found: there is no such API endpoint. The endpoints are listed at /api/v1/docs/."}, status=404
    )


country = "countries/<str:code>/"

urlpatterns = [
    path("auth/token/", identity_api.TokenIssueApi.as_view(), name="api-token"),
    path("auth/token/revoke/", identity_api.TokenRevokeApi.as_view(), name="api-token-revoke"),
    path("schema/", rest.ApiSchemaView.as_view(), name="api-schema"),
    path("docs/", rest.ApiDocsView.as_view(), name="api-docs"),
    path("countries/", tenants_api.CountryListApi.as_view(), name="api-countries"),
    path(country, tenants_api.CountryDetailApi.as_view(), name="api-country"),
    path(country + "organisations/", tenants_api.OrganisationListApi.as_view(), name="api-organisations"),
    path(country + "organisations/<str:id>/", tenants_api.OrganisationDetailApi.as_view(), name="api-organisation"),
    path(country + "members/", tenants_api.MemberListApi.as_view(), name="api-members"),
    path(country + "members/<str:id>/", tenants_api.MemberDetailApi.as_view(), name="api-member"),
    path(country + "audit-events/", ledger_api.AuditEventSearchApi.as_view(), name="api-audit-events"),
    path(country + "audit-events/checkpoints/", ledger_api.CheckpointListApi.as_view(), name="api-checkpoints"),
    path(country + "audit-events/verify/", ledger_api.ChainVerifyApi.as_view(), name="api-chain-verify"),
    path(country + "audit-events/export/", ledger_api.LedgerExportApi.as_view(), name="api-ledger-export"),
    path(
        "platform/audit-events/export/", ledger_api.PlatformLedgerExportApi.as_view(), name="api-platform-ledger-export"
    ),
]

urlpatterns += [
    path("training/catalogue/", training_api.CatalogueApi.as_view(), name="api-training-catalogue"),
    path(country + "training/programmes/", training_api.ProgrammeListApi.as_view(), name="api-training-programmes"),
    path(country + "training/enrolments/", training_api.EnrolmentListApi.as_view(), name="api-training-enrolments"),
    path(
        country + "training/enrolments/<str:id>/",
        training_api.EnrolmentDetailApi.as_view(),
        name="api-training-enrolment",
    ),
    path(
        country + "training/enrolments/<str:id>/quiz/",
        training_api.EnrolmentQuizApi.as_view(),
        name="api-training-enrolment-quiz",
    ),
]

urlpatterns += [
    path("review-queue/", engagement_api.ReviewQueueApi.as_view(), name="api-review-queue"),
    path(
        "review-queue/deployments/",
        deployments_review_api.ReviewQueueApi.as_view(),
        name="api-review-queue-deployments",
    ),
    path(country + "engagements/", engagement_api.EngagementListApi.as_view(), name="api-engagements"),
    path(country + "engagements/<str:id>/", engagement_api.EngagementDetailApi.as_view(), name="api-engagement"),
    path(
        country + "engagements/<str:id>/messages/",
        engagement_api.MessageListApi.as_view(),
        name="api-engagement-messages",
    ),
    path(
        country + "engagements/<str:id>/messages/read/",
        engagement_api.MessageReadApi.as_view(),
        name="api-engagement-messages-read",
    ),
    path(
        country + "engagements/<str:id>/messages/attachments/<int:attachment>/",
        engagement_api.MessageAttachmentApi.as_view(),
        name="api-engagement-attachment",
    ),
    path(
        country + "engagements/<str:id>/terms/",
        engagement_api.EngagementTermsApi.as_view(),
        name="api-engagement-terms",
    ),
    *[
        path(country + f"engagements/<str:id>/{name}/", view, name=f"api-engagement-{name}")
        for name, view in map(engagement_api.action_view, engagement_api.services.ACTIONS)
    ],
]

urlpatterns += [
    path("policy-templates/", governance_api.PolicyTemplateListApi.as_view(), name="api-policy-templates"),
    path("frameworks/", governance_api.FrameworkListApi.as_view(), name="api-frameworks"),
    path(country + "policies/", governance_api.PolicyListApi.as_view(), name="api-policies"),
    path(country + "policies/<str:id>/", governance_api.PolicyDetailApi.as_view(), name="api-policy"),
    path(
        country + "policies/<str:id>/acknowledge/",
        governance_api.PolicyAcknowledgeApi.as_view(),
        name="api-policy-acknowledge",
    ),
    path(country + "assessments/", governance_api.AssessmentListApi.as_view(), name="api-assessments"),
    path(country + "assessments/<str:id>/", governance_api.AssessmentDetailApi.as_view(), name="api-assessment"),
    path(
        country + "assessments/<str:id>/answers/",
        governance_api.AssessmentAnswersApi.as_view(),
        name="api-assessment-answers",
    ),
    path(
        country + "assessments/<str:id>/complete/",
        governance_api.AssessmentCompleteApi.as_view(),
        name="api-assessment-complete",
    ),
    path(
        country + "frameworks/", governance_control_api.CountryFrameworkListApi.as_view(), name="api-country-frameworks"
    ),
    path(
        country + "frameworks/<slug:slug>/requirements/",
        governance_control_api.RequirementListApi.as_view(),
        name="api-country-requirements",
    ),
    path(
        country + "frameworks/<slug:slug>/requirements/<str:req>/status/",
        governance_control_api.RequirementStatusApi.as_view(),
        name="api-country-requirement-status",
    ),
    path(
        country + "frameworks/<slug:slug>/requirements/<str:req>/evidence/",
        governance_control_api.EvidenceListApi.as_view(),
        name="api-country-requirement-evidence",
    ),
    path(country + "incidents/", governance_api.IncidentListApi.as_view(), name="api-incidents"),
    path(country + "incidents/<str:id>/", governance_api.IncidentDetailApi.as_view(), name="api-incident"),
    path(
        country + "incidents/<str:id>/advance/",
        governance_api.IncidentAdvanceApi.as_view(),
        name="api-incident-advance",
    ),
    path(
        country + "incidents/<str:id>/reported/",
        governance_api.IncidentReportedApi.as_view(),
        name="api-incident-reported",
    ),
]

urlpatterns += [
    path(country + "compliance-reports/", report_api.ReportListApi.as_view(), name="api-compliance-reports"),
    path(country + "compliance-reports/<str:id>/", report_api.ReportDetailApi.as_view(), name="api-compliance-report"),
    path(
        country + "compliance-reports/<str:id>/download/",
        report_api.ReportDownloadApi.as_view(),
        name="api-compliance-report-download",
    ),
    path("compliance-summary/", report_api.ComplianceSummaryApi.as_view(), name="api-compliance-summary"),
]

urlpatterns += [
    path("models/", deployments_api.ModelListApi.as_view(), name="api-models"),
    path(country + "deployment-requests/", deployments_api.RequestListApi.as_view(), name="api-deployment-requests"),
    path(
        country + "deployment-requests/<str:id>/",
        deployments_api.RequestDetailApi.as_view(),
        name="api-deployment-request",
    ),
    path(
        country + "deployment-requests/<str:id>/messages/",
        deployments_api.MessageListApi.as_view(),
        name="api-deployment-request-messages",
    ),
    path(
        country + "deployment-requests/<str:id>/messages/read/",
        deployments_api.MessageReadApi.as_view(),
        name="api-deployment-request-messages-read",
    ),
    path(
        country + "deployment-requests/<str:id>/messages/attachments/<int:attachment>/",
        deployments_api.MessageAttachmentApi.as_view(),
        name="api-deployment-request-attachment",
    ),
    path(
        country + "deployment-requests/<str:id>/retry/",
        deployments_api.RequestRetryApi.as_view(),
        name="api-deployment-request-retry",
    ),
    *[
        path(country + f"deployment-requests/<str:id>/{name}/", view, name=f"api-deployment-request-{name}")
        for name, view in map(deployments_api.action_view, deployments_api.services.PERSON_ACTIONS)
    ],
    path(country + "environments/", deployments_api.EnvironmentListApi.as_view(), name="api-environments"),
    path(country + "environments/<str:id>/", deployments_api.EnvironmentDetailApi.as_view(), name="api-environment"),
    path(
        country + "environments/<str:id>/reveal/",
        deployments_api.EnvironmentRevealApi.as_view(),
        name="api-environment-reveal",
    ),
    path(
        country + "environments/<str:id>/rotate/",
        deployments_api.EnvironmentRotateApi.as_view(),
        name="api-environment-rotate",
    ),
    path(
        country + "environments/<str:id>/usage/",
        deployments_api.EnvironmentUsageApi.as_view(),
        name="api-environment-usage",
    ),
    *[
        path(country + f"environments/<str:id>/{name}/", view, name=f"api-environment-{name}")
        for name, view in map(deployments_api.environment_action_view, deployments_api.ENVIRONMENT_ACTIONS)
    ],
]

urlpatterns += [
    path(country + "exit/", keys_api.CountryExitApi.as_view(), name="api-exit"),
    *[
        path(country + f"exit/{action}/", keys_api.exit_action_view(action, platform=False), name=f"api-exit-{action}")
        for action in keys_api.EXIT_ACTIONS
    ],
    path("platform/exits/<str:code>/", keys_api.PlatformExitApi.as_view(), name="api-platform-exit"),
    *[
        path(
            f"platform/exits/<str:code>/{action}/",
            keys_api.exit_action_view(action, platform=True),
            name=f"api-platform-exit-{action}",
        )
        for action in keys_api.EXIT_ACTIONS
    ],
    path(country + "members/<str:id>/erasure/", keys_api.MemberErasureApi.as_view(), name="api-member-erasure"),
    path(country + "erasures/<str:id>/", keys_api.ErasureDetailApi.as_view(), name="api-erasure"),
    path(country + "erasures/<str:id>/confirm/", keys_api.ErasureConfirmApi.as_view(), name="api-erasure-confirm"),
    path(country + "erasures/<str:id>/cancel/", keys_api.ErasureCancelApi.as_view(), name="api-erasure-cancel"),
    path(
        country + "members/<str:id>/subject-access/",
        keys_api.MemberSubjectAccessApi.as_view(),
        name="api-member-subject-access",
    ),
    path(country + "subject-access/<str:id>/", keys_api.SubjectAccessDetailApi.as_view(), name="api-subject-access"),
    path(
        country + "subject-access/<str:id>/download/",
        keys_api.SubjectAccessDownloadApi.as_view(),
        name="api-subject-access-download",
    ),
]

# Other apps add their nested endpoints above this line; the catch-all must stay last.
urlpatterns.append(re_path(r"^.*$", api_not_found, name="api-not-found"))
