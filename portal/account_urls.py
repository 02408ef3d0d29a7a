"""Accounts: sign in (allauth, with second factors and each country's single sign-on), sign out
(POST only), the invitation link, one's account page and personal access tokens; allauth serves
second factors, sessions, password change and reset, and the government sign-in callbacks."""

from django.contrib.auth import views as auth_views
from django.urls import include, path

from tenants import views as tenant_views
from tenants.identity import views as identity_views
from tenants.languages import views as language_views

urlpatterns = [
    path("login/", identity_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("invitation/<str:token>/", tenant_views.invitation_accept, name="invitation_accept"),
    path("", identity_views.account_home, name="account_home"),
    path("preferences/", language_views.preferences_save, name="account_preferences"),
    path("tokens/", identity_views.personal_tokens, name="account_tokens"),
    path("tokens/<int:pk>/revoke/", identity_views.personal_token_revoke, name="account_token_revoke"),
    path("sso/", identity_views.single_sign_on, name="account_sso"),
    # A person's address is the one their invitation or their country's provider proved: allauth's
    # page for adding others is not offered.
    path("email/", identity_views.not_offered, name="account_email"),
    path("", include("allauth.urls")),
]
