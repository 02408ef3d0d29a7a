"""Celery tasks of the gateway's metering: thin doors into gateway.metering."""

from __future__ import annotations

import redis
from celery import shared_task
from django.db import OperationalError

from . import capture, metering


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


@shared_task(
    name="gateway.capture_ingest",
    acks_late=True,
    ignore_result=True,
    autoretry_for=(OperationalError, redis.RedisError),
    retry_backoff=True,
    max_retries=3,
)
def capture_ingest() -> int:
    return capture.captured_ingest()


@shared_task(name="gateway.capture_purge", acks_late=True, ignore_result=True)
def capture_purge() -> int:
    return capture.captured_purge()
