"""The API under /api/v1/ (DESIGN §8): tokens, the OpenAPI schema and its offline docs, countries
and everything a country owns nested under /countries/<code>/. Included by portal/urls.py."""
from django.http import HttpResponsePermanentRedirect, JsonResponse
from django.urls import Resolver404, path, re_path, resolve
from drf_spectacular.views import SpectacularAPIView

from tenants import api as tenants_api


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
        {"detail": "Not found: there is no such API endpoint. The endpoints are listed at /api/v1/docs/."},
        status=404,
    )


country = "countries/<str:code>/"

urlpatterns = [
    path("auth/token/", tenants_api.TokenIssueApi.as_view(), name="api-token"),
    path("auth/token/revoke/", tenants_api.TokenRevokeApi.as_view(), name="api-token-revoke"),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", tenants_api.ApiDocsView.as_view(), name="api-docs"),
    path("countries/", tenants_api.CountryListApi.as_view(), name="api-countries"),
    path(country, tenants_api.CountryDetailApi.as_view(), name="api-country"),
    path(country + "organisations/", tenants_api.OrganisationListApi.as_view(), name="api-organisations"),
    path(country + "organisations/<str:id>/", tenants_api.OrganisationDetailApi.as_view(), name="api-organisation"),
    path(country + "members/", tenants_api.MemberListApi.as_view(), name="api-members"),
    path(country + "members/<str:id>/", tenants_api.MemberDetailApi.as_view(), name="api-member"),
    path(country + "audit-events/", tenants_api.AuditEventListApi.as_view(), name="api-audit-events"),
]

# Other apps add their nested endpoints above this line; the catch-all must stay last.
urlpatterns.append(re_path(r"^.*$", api_not_found, name="api-not-found"))
