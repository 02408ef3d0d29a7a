"""The engagements app: a country's partnership with the programme (applications, versioned terms,
lifecycle, review). It registers its step of the onboarding task list."""

from django.apps import AppConfig


class EngagementsConfig(AppConfig):
    name = "engagements"
    verbose_name = "Engagements"

    def ready(self) -> None:
        from tenants import onboarding

        from . import selectors

        onboarding.register("engagement", status=selectors.onboarding_status)
