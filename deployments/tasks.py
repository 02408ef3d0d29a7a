"""Celery tasks of deployments: thin doors into provisioning. They take ids only (never a secret);
the code they call opens the country context itself."""
from __future__ import annotations

import logging

from celery import shared_task
from django.db import OperationalError

from . import provisioning

log = logging.getLogger(__name__)


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, autoretry_for=(OperationalError, OSError,
             provisioning.JobBusy), retry_backoff=True, retry_backoff_max=300, max_retries=8)
def provisioning_run(self, *, country_id: int, job_id: int) -> str:
    return provisioning.provisioning_run(country_id=country_id, job_id=job_id)


@shared_task(acks_late=True)
def outbox_relay() -> int:
    """Publish what the outbox holds (beat, every 10 s): the safety net behind each commit's kick."""
    return provisioning.outbox_relay()


def outbox_kick(*, country_id: int) -> None:
    """Right after a commit that wrote to the outbox: publish it now, in this process. A broker
    outage only leaves the message pending for the beat relay."""
    try:
        provisioning.outbox_relay(country_ids=[country_id])
    except Exception as error:  # never fail the request that already committed
        log.warning("Outbox kick failed (%s); the relay will retry", type(error).__name__)


@shared_task(acks_late=True)
def recertification_reminders_all() -> int:
    """Remind owners of environments due for recertification (beat, daily)."""
    from .recertification import recertification_remind_due

    return recertification_remind_due()
