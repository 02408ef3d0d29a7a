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
        from engagements.signals import engagement_standing
        from tenants import todo as tenants_todo
        from tenants.country_state import country_leaving
        from tenants.jobs import sweep
        from tenants.keys import holdings
        from tenants.onboarding import register

        from . import events, policy, provisioning, selectors, todo

        register("deployment", facts=selectors.onboarding_facts, decide=selectors.onboarding_decide)
        tenants_todo.register("deployments", facts=todo.todo_facts, decide=todo.todo_decide)
        # A reviewer's comment on a decision is their own words (emptied if they are erased).
        holdings.personal_text_register("deployments.DeploymentDecision", author="by", fields=["comment"])
        holdings.personal_text_register("deployments.DeploymentMove", author="by", fields=["comment"])
        # What stays readable when the country's keys are destroyed (tenants.keys.holdings); a
        # request's purpose and the comments on it are sealed.
        holdings.plain_text_register(
            {
                "deployments.CountryUpstream": ["name"],
                "deployments.DeploymentRequest": ["title"],
                "deployments.Environment": ["name"],
            },
            what=gettext_lazy(
                "The titles of deployment requests, and the names of environments and of the country's model servers"
            ),
            why=holdings.NAMES_READ_BY_THE_DATABASE,
        )
        holdings.plain_text_register(
            {
                "deployments.RegisterEntry": ["public_name", "withdrawal_reason"],
                "deployments.RegisterVersion": [
                    "name",
                    "summary",
                    "purpose",
                    "how_to_ask",
                    "contact_email",
                    "website",
                    "accountable_role",
                    "team",
                    "human_oversight",
                    "data_description",
                    "risks_mitigations",
                    "alternatives",
                    "change_note",
                ],
            },
            what=gettext_lazy(
                "The public AI register: each system's name, descriptions and contact details, and why an entry was withdrawn"
            ),
            why=gettext_lazy(
                "They are written to be published for anyone to read, and the register's public pages read them "
                "without the country's key."
            ),
        )
        events.register()
        # A provisioning job no worker finishes (killed mid-job, retries spent) is run again, then ends failed.
        sweep.job_kind_register(
            model="deployments.ProvisioningJob",
            task="deployments.provisioning_run",
            id_argument="job_id",
            redrive_after=provisioning.STRANDED_AFTER,
            redrives=provisioning.STRANDED_REDRIVES,
            backoff=provisioning.STRANDED_BACKOFF,
            progress=provisioning.job_moved_at,
            on_failed=provisioning.job_stranded,
        )
        # A country that leaves: its environments take no more calls at the gateway.
        country_leaving.connect(policy.country_leaving_received, dispatch_uid="deployments.policy.country_leaving")
        # An engagement activated, suspended, reinstated or closed: its country's environments take
        # calls only while it is active.
        engagement_standing.connect(
            policy.engagement_standing_received, dispatch_uid="deployments.policy.engagement_standing"
        )
