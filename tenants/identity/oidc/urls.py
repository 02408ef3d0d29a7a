"""/accounts/gov/<provider_id>/login/ and …/login/callback/ (mounted by allauth's URL list)."""

from django.urls import include, path, re_path

from tenants.identity.oidc import views

urlpatterns = [
    path(
        "gov/",
        include(
            [
                re_path(
                    r"^(?P<provider_id>gov-[a-z]{2})/",
                    include(
                        [
                            path("login/", views.login, name="government_login"),
                            path("login/callback/", views.callback, name="government_callback"),
                        ]
                    ),
                )
            ]
        ),
    )
]
