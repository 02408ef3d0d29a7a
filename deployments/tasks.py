"""Celery tasks of deployments: thin doors into provisioning. They take ids only (never a secret);
the code they call opens the country context itself. Jobs reach the worker through the outbox
(tenants.jobs.outbox), under the names given here."""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError

from . import provisioning


@shared_task(
    name="deployments.provisioning_run",
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(OperationalError, OSError, provisioning.JobBusy),
    retry_backoff=True,
    retry_backoff_max=300,
    max_retries=8,
)
def provisioning_run(self, *, country_id: int, job_id: int) -> str:
    return provisioning.provisioning_run(country_id=country_id, job_id=job_id)


@shared_task(acks_late=True)
def recertification_reminders_all() -> int:
    """Remind owners of environments due for recertification (beat, daily)."""
    from .recertification import recertification_remind_due

    return recertification_remind_due()
