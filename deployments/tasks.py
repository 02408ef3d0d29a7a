"""Celery tasks of deployments: thin doors into provisioning. They take ids only (never a secret);
the code they call opens the country context itself. Jobs reach the worker through the outbox
(tenants.jobs.outbox), under the names given here."""

from __future__ import annotations

import redis
from celery import shared_task
from django.db import OperationalError

from . import policy, provisioning


@shared_task(
    name="deployments.provisioning_run",
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(OperationalError, OSError, provisioning.JobBusy),
    retry_backoff=True,
    retry_backoff_max=300,
    max_retries=8,
    # Shorter than the sweep's wait before it hands a still job over again (provisioning.STRANDED_AFTER).
    soft_time_limit=240,
    time_limit=300,
)
def provisioning_run(self, *, country_id: int, job_id: int) -> str:
    return provisioning.provisioning_run(country_id=country_id, job_id=job_id)


@shared_task(acks_late=True)
def recertification_reminders_all() -> int:
    """Remind owners of environments due for recertification (beat, daily)."""
    from .recertification import recertification_remind_due

    return recertification_remind_due()


@shared_task(
    name=policy.PUBLISH_TASK,
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(OperationalError, OSError, redis.RedisError),
    retry_backoff=1,
    retry_backoff_max=30,
    max_retries=None,
    ignore_result=True,
)
def policy_publish(*, country_id: int, environment_id: int) -> bool:
    """Publish an environment's gateway policy to Redis; retried until Redis takes it."""
    return policy.policy_publish(country_id=country_id, environment_id=environment_id)


@shared_task(name="deployments.policies_check", acks_late=True, ignore_result=True)
def policies_check() -> int:
    """Beat, every minute: the policies Redis lost (or holds at an older version) published again."""
    return policy.policies_missing_republish()
