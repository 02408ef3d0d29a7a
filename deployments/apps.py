"""The deployments app: registers its step of the onboarding task list."""

from django.apps import AppConfig


class DeploymentsConfig(AppConfig):
    name = "deployments"

    def ready(self) -> None:
        from tenants.onboarding import register

        from . import selectors

        register("deployment", status=selectors.onboarding_status)
