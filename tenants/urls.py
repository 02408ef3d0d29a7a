"""A country's pages, mounted under /c/<code>/ (so every view receives `code`)."""

from django.urls import path

from tenants import views
from tenants.identity import country_pages as identity_pages
from tenants.keys import erasure_views, exit_views
from tenants.keys import views as data_views

app_name = "tenants"

urlpatterns = [
    path("", views.country_overview, name="overview"),
    path("organisations/", views.organisation_list, name="organisations"),
    path("organisations/new/", views.organisation_create, name="organisation_new"),
    path("organisations/<int:pk>/", views.organisation_detail, name="organisation"),
    path("members/", views.member_list, name="members"),
    path("members/invite/", views.member_invite, name="member_invite"),
    path("members/<int:pk>/", views.member_detail, name="member"),
    path("members/<int:pk>/remove/", views.member_remove, name="member_remove"),
    path("members/<int:pk>/erasure/", erasure_views.member_erasure, name="member_erasure"),
    path("members/<int:pk>/erasure/cancel/", erasure_views.member_erasure_cancel, name="member_erasure_cancel"),
    path("activity/", views.activity, name="activity"),
    path("identity/", identity_pages.country_identity, name="identity"),
    path("data/", data_views.data_page, name="data"),
    path("data/progress.json", data_views.data_progress, name="data_progress"),
    path("data/key/rotate/", data_views.data_key_rotate, name="data_key_rotate"),
    path("data/exports/", data_views.data_export_request, name="data_export_request"),
    path("data/exports/<int:pk>/download/", data_views.data_export_download, name="data_export_download"),
    path("data/exit/request/", data_views.data_exit_request, name="data_exit_request"),
    path("data/exit/confirm/", exit_views.data_exit_confirm, name="data_exit_confirm"),
    path("data/exit/cancel/", exit_views.data_exit_cancel, name="data_exit_cancel"),
    path("data/exit/run/", exit_views.data_exit_run, name="data_exit_run"),
    path("data/erasures/<int:pk>/", erasure_views.data_erasure, name="data_erasure"),
    path(
        "data/erasures/<int:pk>/certificate/", erasure_views.data_erasure_certificate, name="data_erasure_certificate"
    ),
]
