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
        post_migrate.connect(_load_catalogue, sender=self, dispatch_uid="governance.catalogue")
