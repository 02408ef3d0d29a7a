"""A country's pages, mounted under /c/<code>/ (so every view receives `code`)."""

from django.urls import path

from tenants import views
from tenants.identity import country_pages as identity_pages
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
    path("activity/", views.activity, name="activity"),
    path("identity/", identity_pages.country_identity, name="identity"),
    path("data/", data_views.data_page, name="data"),
    path("data/progress.json", data_views.data_progress, name="data_progress"),
    path("data/key/rotate/", data_views.data_key_rotate, name="data_key_rotate"),
    path("data/exports/", data_views.data_export_request, name="data_export_request"),
    path("data/exports/<int:pk>/download/", data_views.data_export_download, name="data_export_download"),
]
