"""The governance app: policies, impact assessments, frameworks and controls, incidents."""

from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy


def _load_catalogue(sender, **kwargs) -> None:
    # The data migration loads the catalogue once; a flush (transactional tests) empties every
    # table and is followed by post_migrate, which puts the programme's own data back.
    from . import catalogue

    catalogue.load()


class GovernanceConfig(AppConfig):
    name = "governance"
    verbose_name = gettext_lazy("Governance")

    def ready(self) -> None:
        from tenants import todo as tenants_todo
        from tenants.keys import holdings
        from tenants.onboarding import register

        from . import events, onboarding, todo

        events.register()

        register("policies", facts=onboarding.policies_facts, decide=onboarding.policies_decide)
        register("assessment", facts=onboarding.assessment_facts, decide=onboarding.assessment_decide)
        tenants_todo.register("policies", facts=todo.todo_facts, decide=todo.todo_decide)
        # Evidence is the country's record (kept when its uploader is erased), exported with it.
        holdings.files_register("governance.EvidenceFile", name=lambda row: row.path, sha256_field="sha256")
        # What stays readable when the country's keys are destroyed (tenants.keys.holdings); an
        # incident's description and steps and a requirement's note are sealed.
        holdings.plain_text_register(
            {
                "governance.CountryPolicy": ["title"],
                "governance.ImpactAssessment": ["title", "use_reference"],
                "governance.Incident": ["title", "deployment_reference"],
            },
            what=gettext_lazy("The titles of policies, impact assessments and incidents, and the references they give"),
            why=holdings.NAMES_READ_BY_THE_DATABASE,
        )
        holdings.plain_text_register(
            {"governance.PolicyVersion": ["text"]},
            what=gettext_lazy("The text of the country's policies"),
            why=holdings.SHAREABLE_DOCUMENTS,
        )
        holdings.plain_text_register(
            {"governance.EvidenceFile": ["name"]},
            what=gettext_lazy("The names of evidence files"),
            why=holdings.FILE_NAMES,
        )
        post_migrate.connect(_load_catalogue, sender=self, dispatch_uid="governance.catalogue")
