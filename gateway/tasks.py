"""Celery tasks of the gateway's metering: thin doors into gateway.metering."""

from __future__ import annotations

import redis
from celery import shared_task
from django.db import OperationalError

from . import metering


@shared_task(
    name="gateway.usage_fold",
    acks_late=True,
    ignore_result=True,
    autoretry_for=(OperationalError, redis.RedisError),
    retry_backoff=True,
    max_retries=3,
)
def usage_fold() -> int:
    return metering.usage_fold()
