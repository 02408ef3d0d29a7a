from django.contrib.auth import views as auth_views
from django.urls import include, path

from dev.oidc_provider import mischief

urlpatterns = [
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("o/", include("oauth2_provider.urls", namespace="oauth2_provider")),
    path("mischief/<str:mode>/.well-known/openid-configuration", mischief.discovery),
    path("mischief/<str:mode>/token/", mischief.token),
]
