"""The training app: programmes, enrolments, certificates and requirements; it registers the
"Staff trained" step of the onboarding task list."""

from django.apps import AppConfig
from django.utils.translation import gettext as _


def _training_step(country):
    """Done when every active country admin and officer holds a valid certificate for each
    programme their role requires (platform and country requirements); in progress when at least
    one does or anyone has enrolled."""
    from django.urls import reverse

    from tenants.isolation import reading_context
    from tenants.onboarding import DONE, IN_PROGRESS, NOT_STARTED, StepStatus

    from .models import Enrolment
    from .selectors import trained_counts_by_country

    url = reverse("training:home", kwargs={"code": country.code.lower()})
    with reading_context(country):
        trained, total = trained_counts_by_country(country_ids=[country.pk])[country.pk]
        if total and trained == total:
            return StepStatus(
                DONE,
                _("All {total} country admins and officers have completed their required training.").format(
                    total=total
                ),
                url,
            )
        started = bool(trained) or Enrolment.objects.filter(country=country).exists()
    if trained or started:
        return StepStatus(
            IN_PROGRESS,
            _("{trained} of {total} country admins and officers have completed their required training.").format(
                trained=trained, total=total
            ),
            url,
        )
    return StepStatus(NOT_STARTED, _("Enrol your country admins and officers in the required programmes."), url)


class TrainingConfig(AppConfig):
    name = "training"

    def ready(self) -> None:
        from tenants.keys import holdings
        from tenants.onboarding import register

        register("training", status=_training_step)
        # A learner's progress and quiz answers are theirs through their enrolment.
        holdings.linked_rows_register("training.ModuleProgress", via="enrolment")
        holdings.linked_rows_register("training.QuizAttempt", via="enrolment")
