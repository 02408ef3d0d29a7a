"""Accounts: sign in, sign out (POST only) and the invitation link that sets a first password."""

from django.contrib.auth import views as auth_views
from django.urls import path

from tenants import views as tenant_views
from tenants.identity.forms import LoginForm

urlpatterns = [
    path(
        "login/",
        auth_views.LoginView.as_view(
            template_name="registration/login.html", authentication_form=LoginForm, redirect_authenticated_user=True
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("invitation/<str:token>/", tenant_views.invitation_accept, name="invitation_accept"),
]
