"""The deployments app: registers its step of the onboarding task list, and the tables of its
public register (deployments/register/), which belong to the same app and migrations."""

from importlib import import_module

from django.apps import AppConfig
from django.utils.translation import gettext_lazy


class DeploymentsConfig(AppConfig):
    name = "deployments"
    verbose_name = gettext_lazy("Deployments")

    def import_models(self) -> None:
        super().import_models()
        import_module("deployments.register.models")

    def ready(self) -> None:
        from tenants import todo as tenants_todo
        from tenants.country_state import country_leaving
        from tenants.keys import holdings
        from tenants.onboarding import register

        from . import events, policy, selectors, todo

        register("deployment", facts=selectors.onboarding_facts, decide=selectors.onboarding_decide)
        tenants_todo.register("deployments", facts=todo.todo_facts, decide=todo.todo_decide)
        # A reviewer's comment on a decision is their own words (emptied if they are erased).
        holdings.personal_text_register("deployments.DeploymentDecision", author="by", fields=["comment"])
        holdings.personal_text_register("deployments.DeploymentMove", author="by", fields=["comment"])
        events.register()
        # A country that leaves: its environments take no more calls at the gateway.
        country_leaving.connect(policy.country_leaving_received, dispatch_uid="deployments.policy.country_leaving")
