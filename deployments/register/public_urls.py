"""A country's public register, mounted under /register/<code>/ by portal/urls.py (no sign-in)."""

from django.urls import path

from . import public_views

app_name = "public_register"

urlpatterns = [
    path("", public_views.home, name="home"),
    path("register.json", public_views.register_json, name="json"),
    path("register.csv", public_views.register_csv, name="csv"),
    path("<int:pk>/", public_views.entry, name="entry"),
    path("<int:pk>/record.json", public_views.entry_json, name="entry_json"),
    path("<int:pk>/versions/<int:number>/", public_views.entry_version, name="entry_version"),
]
