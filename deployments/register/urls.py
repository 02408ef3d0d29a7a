"""The register inside a country, mounted under /c/<code>/register/ by portal/urls.py."""

from django.urls import path

from . import views

app_name = "register"

urlpatterns = [
    path("", views.home, name="home"),
    path("new/<int:pk>/", views.entry_new, name="new"),
    path("<int:pk>/", views.entry_detail, name="entry"),
    path("<int:pk>/new-version/", views.version_new, name="version_new"),
    path("<int:pk>/publish/", views.version_publish, name="publish"),
    path("<int:pk>/withdraw/", views.entry_withdraw, name="withdraw"),
    path("<int:pk>/contact/", views.entry_contact, name="contact"),
    path("eu/<int:pk>/", views.eu_pack_page, name="eu_pack"),
    path("eu/<int:pk>/pack.json", views.eu_pack_json, name="eu_pack_json"),
]
