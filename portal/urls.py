"""Root URL map (DESIGN §8): dashboards, country pages under /c/<code>/, review and audit areas,
accounts, the API under /api/v1/, health checks and the admin."""
from django.contrib import admin
from django.urls import include, path

from . import views

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("", views.home, name="home"),
    path("review/", views.review_home, name="review"),
    path("audit/", views.audit_home, name="audit"),
    path("accounts/", include("portal.account_urls")),
    path("c/<str:code>/", include("tenants.urls")),
    path("api/v1/", include("portal.api_urls")),
    path("admin/", admin.site.urls),
]

handler404 = "portal.views.not_found"
handler403 = "portal.views.forbidden"
handler500 = "portal.views.server_error"
