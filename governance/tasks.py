"""Celery tasks of governance: thin doors into governance.reminders, with ids only."""

from celery import shared_task

from tenants.isolation import country_context
from tenants.jobs.outbox import outbox_enqueue

from . import reminders


@shared_task(acks_late=True)
def reminders_send_all() -> int:
    """Daily (beat): fan out one task per country."""
    from tenants.models import Country

    ids = list(Country.objects.writable().values_list("pk", flat=True))
    for country_id in ids:  # one job per country through the outbox: a broker hiccup loses none
        with country_context(country_id):
            outbox_enqueue(task=country_reminders_send.name, country_id=country_id)
    return len(ids)


@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def country_reminders_send(*, country_id: int) -> int:
    return (
        reminders.acknowledgement_reminders_send(country_id=country_id)
        + reminders.incident_reminders_send(country_id=country_id)
        + reminders.assessment_review_reminders_send(country_id=country_id)
    )
