"""The engagements app: a country's partnership with the programme (applications, versioned terms,
lifecycle, review). It registers its step of the onboarding task list."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy


class EngagementsConfig(AppConfig):
    name = "engagements"
    verbose_name = gettext_lazy("Engagements")

    def ready(self) -> None:
        from tenants import onboarding
        from tenants import todo as tenants_todo
        from tenants.keys import holdings

        from . import events, selectors, todo

        events.register()

        onboarding.register("engagement", facts=selectors.onboarding_facts, decide=selectors.onboarding_decide)
        tenants_todo.register("engagements", facts=todo.todo_facts, decide=todo.todo_decide)
        # A comment on a step of the engagement is its author's own words (emptied if they are erased).
        holdings.personal_text_register("engagements.EngagementTransition", author="by", fields=["comment"])
