"""Celery tasks of training: thin doors into services, taking ids only."""

from celery import shared_task

from tenants.isolation import country_context
from tenants.jobs.outbox import outbox_enqueue

from . import renewals


@shared_task(bind=True, acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=8)
def certificate_reminders_send(self, *, country_id: int) -> int:
    """Remind one country's holders whose certificates expire soon (idempotent: once each)."""
    return renewals.certificate_reminders_send(country_id=country_id)


@shared_task(acks_late=True)
def certificate_reminders_all() -> int:
    """Daily (beat): one reminder job per country, so a failure in one does not hold up the others."""
    from tenants.models import Country

    ids = list(Country.objects.writable().order_by("pk").values_list("pk", flat=True))
    for country_id in ids:  # one job per country through the outbox: a broker hiccup loses none
        with country_context(country_id):
            outbox_enqueue(task=certificate_reminders_send.name, country_id=country_id)
    return len(ids)
