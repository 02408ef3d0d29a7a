"""The training app: programmes, enrolments, certificates and requirements; it registers the
"Staff trained" step of the onboarding task list."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy


class TrainingConfig(AppConfig):
    name = "training"
    verbose_name = gettext_lazy("Training")

    def ready(self) -> None:
        from tenants import todo
        from tenants.keys import holdings
        from tenants.onboarding import register

        from . import events
        from . import todo as training_todo

        events.register()
        from .selectors import onboarding_decide, onboarding_facts

        register("training", facts=onboarding_facts, decide=onboarding_decide)
        todo.register("training", facts=training_todo.todo_facts, decide=training_todo.todo_decide)
        # A learner's progress and quiz answers are theirs through their enrolment.
        holdings.linked_rows_register("training.ModuleProgress", via="enrolment")
        holdings.linked_rows_register("training.QuizAttempt", via="enrolment")
        # What stays readable when the country's keys are destroyed (tenants.keys.holdings).
        holdings.plain_text_register(
            {"training.CountryProgramme": ["title", "summary"]},
            what=gettext_lazy("The titles, summaries and modules of the country's own training programmes"),
            why=holdings.SHAREABLE_DOCUMENTS,
        )
