"""Root URL map (DESIGN §8): dashboards, country pages under /c/<code>/, review and audit areas,
accounts, each country's public AI register under /register/<code>/, the API under /api/v1/,
health checks, the published ledger key and the admin."""

from django.contrib import admin
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog

from deployments.register import public_views as public_register_views
from tenants.keys import exit_views
from tenants.languages import views as language_views
from tenants.notifications import views as notification_views
from tenants.record import views as audit_views
from training import views as training_views

from . import metrics, report_views, review, views

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("metrics", metrics.metrics_view, name="metrics"),
    path(".well-known/ledger-key.pem", views.ledger_key_pem, name="ledger_key"),
    path(".well-known/ledger-keyring.json", views.ledger_keyring, name="ledger_keyring"),
    path("", views.home, name="home"),
    path("language/", language_views.language_switch, name="language_switch"),
    # The words the pages' scripts show (locale/*/LC_MESSAGES/djangojs.po), in the reader's language.
    path("jsi18n/", JavaScriptCatalog.as_view(packages=["portal"]), name="javascript_catalogue"),
    path("review/", review.review_queue, name="review"),
    path("summary/", views.country_summary, name="summary"),
    path("notifications/", notification_views.notification_page, name="notifications"),
    path("notifications/read/", notification_views.notification_read_all, name="notifications_read"),
    path("platform/exits/", exit_views.platform_exits, name="platform_exits"),
    path("platform/exits/<str:code>/", exit_views.platform_exit, name="platform_exit"),
    path("platform/exits/<str:code>/run/", exit_views.platform_exit_run, name="platform_exit_run"),
    path("platform/exits/<str:code>/cancel/", exit_views.platform_exit_cancel, name="platform_exit_cancel"),
    path("platform/ledger/", audit_views.platform_ledger, name="platform_ledger"),
    path("audit/", views.audit_home, name="audit"),
    path("audit/<str:code>/", audit_views.audit_country, name="audit_country"),
    path("audit/<str:code>/export/", audit_views.audit_export, name="audit_export"),
    path("audit/<str:code>/reports/", report_views.report_list, name="audit_reports"),
    path("audit/<str:code>/reports/progress.json", report_views.report_progress, name="audit_report_progress"),
    path("audit/<str:code>/reports/subscription/", report_views.report_subscription, name="audit_report_subscription"),
    path("audit/<str:code>/reports/<int:id>/download/", report_views.report_download, name="audit_report_download"),
    path("accounts/", include("portal.account_urls")),
    path("c/<str:code>/training/", include("training.urls")),
    path("certificates/<str:code>/", training_views.certificate_check, name="certificate_check"),
    path("c/<str:code>/engagement/", include("engagements.urls")),
    path("c/<str:code>/governance/", include("governance.urls")),
    path("c/<str:code>/deployments/", include("deployments.urls")),
    path("c/<str:code>/register/", include("deployments.register.urls")),
    path("register/", public_register_views.index, name="public_register_index"),
    path("register/<str:code>/", include("deployments.register.public_urls")),
    path("c/<str:code>/", include("tenants.urls")),
    path("api/v1/", include("portal.api_urls")),
    path("admin/", admin.site.urls),
]

handler400 = "portal.views.bad_request"
handler404 = "portal.views.not_found"
handler403 = "portal.views.forbidden"
handler500 = "portal.views.server_error"
handler429 = "portal.views.too_many_requests"  # allauth's limits (allauth.core.internal.ratelimit.respond_429)
