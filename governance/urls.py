"""Governance pages, mounted under /c/<code>/governance/ (so every view receives `code`)."""

from django.urls import path

from . import control_views, views

app_name = "governance"

urlpatterns = [
    path("", views.home, name="home"),
    path("policies/", views.policies, name="policies"),
    path("policies/adopt/", views.policy_adopt, name="policy_adopt"),
    path("policies/<int:pk>/", views.policy_detail, name="policy"),
    path("policies/<int:pk>/versions/new/", views.policy_version_new, name="policy_version_new"),
    path("policies/<int:pk>/versions/<int:number>/publish/", views.policy_version_publish, name="policy_publish"),
    path("policies/<int:pk>/versions/<int:number>/acknowledge/", views.policy_acknowledge, name="policy_acknowledge"),
    path("policies/<int:pk>/versions/<int:number>/changes/", views.policy_diff, name="policy_diff"),
    path("policies/<int:pk>/share/", views.policy_share, name="policy_share"),
    path("assessments/", views.assessments, name="assessments"),
    path("assessments/new/", views.assessment_new, name="assessment_new"),
    path("assessments/<int:pk>/", views.assessment_detail, name="assessment"),
    path("frameworks/", control_views.frameworks, name="frameworks"),
    path("frameworks/<slug:slug>/", control_views.framework_detail, name="framework"),
    path("frameworks/<slug:slug>/<slug:req>/", control_views.requirement_detail, name="requirement"),
    path("evidence/<int:pk>/download/", control_views.evidence_download, name="evidence_download"),
    path("incidents/", control_views.incidents, name="incidents"),
    path("incidents/new/", control_views.incident_new, name="incident_new"),
    path("incidents/<int:pk>/", control_views.incident_detail, name="incident"),
    path("incidents/<int:pk>/advance/", control_views.incident_advance, name="incident_advance"),
    path("incidents/<int:pk>/reported/", control_views.incident_mark_reported, name="incident_reported"),
]
