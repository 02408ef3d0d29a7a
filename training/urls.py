"""Training pages of a country, mounted under /c/<code>/training/."""

from django.urls import path

from . import programme_views, views

app_name = "training"

urlpatterns = [
    path("", views.home, name="home"),
    path("programmes/new/", programme_views.programme_new, name="programme_new"),
    path("programmes/<int:pk>/", programme_views.programme_detail, name="programme"),
    path("programmes/<int:pk>/share/", programme_views.programme_share, name="programme_share"),
    path("programmes/<slug:slug>/enrol/", views.enrol_self, name="enrol_self"),
    path("shared/", programme_views.shared_list, name="shared"),
    path("shared/<int:pk>/adopt/", programme_views.shared_adopt, name="shared_adopt"),
    path("enrolments/<int:pk>/", views.enrolment_detail, name="enrolment"),
    path("enrolments/<int:pk>/modules/<int:index>/", views.module, name="module"),
    path("certificates/<int:pk>/", views.certificate, name="certificate"),
    path("manage/", views.manage, name="manage"),
    path("manage/roster-template.csv", views.roster_template, name="roster_template"),
    path("cohort/", views.cohort, name="cohort"),
    path("requirements/", views.requirements, name="requirements"),
    path("requirements/<int:pk>/remove/", views.requirement_remove, name="requirement_remove"),
]
