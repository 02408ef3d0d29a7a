"""Enqueue background jobs through the outbox, and relay them to the broker.

    outbox_enqueue(task="tenants.invitation_send", country_id=country.pk, invitation_id=invitation.pk)

writes the row in the caller's transaction. Once that transaction commits, this process publishes
the message at once; the beat task `tenants.outbox_relay` (every few seconds) publishes whatever a
commit could not (broker down, process killed). Services name tasks by their registered name, so
that a service never imports a tasks module: `tasks.py` imports services, never the reverse.

Messages carry ids and small values only; a value that could be a secret or a person's data is
refused before it reaches the row (the broker and its logs are outside the country's keys)."""

from __future__ import annotations

import logging
import re

from celery import current_app
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from tenants.isolation import country_context
from tenants.jobs.models import OutboxMessage, PlatformOutboxMessage
from tenants.models import Country
from tenants.telemetry import current_request_id

log = logging.getLogger(__name__)

# Task arguments: ids, flags and short machine words (a kind, a state), nothing free-form.
_WORD = re.compile(r"^[A-Za-z0-9_.:-]{0,64}$")


class OutboxRefused(ValueError):
    """A job argument that does not belong in a broker message."""


def _check_kwargs(kwargs: dict) -> None:
    for name, value in kwargs.items():
        if isinstance(value, bool) or value is None or isinstance(value, int):
            continue
        if isinstance(value, str) and _WORD.match(value):
            continue
        raise OutboxRefused(f"Job argument {name!r} must be an id, a flag or a short word, not {type(value).__name__}.")


def outbox_enqueue(*, task: str, country_id: int | None = None, **kwargs) -> OutboxMessage | PlatformOutboxMessage:
    """Write a job in the caller's transaction (inside the country's context for a country job)
    and publish it once the transaction commits."""
    _check_kwargs(kwargs)
    if country_id is not None:
        message = OutboxMessage.objects.create(
            country_id=country_id,
            task=task,
            kwargs={"country_id": country_id, **kwargs},
            request_id=current_request_id(),
        )
    else:
        message = PlatformOutboxMessage.objects.create(task=task, kwargs=kwargs, request_id=current_request_id())
    message_id = message.pk
    transaction.on_commit(lambda: outbox_kick(country_id=country_id, message_id=message_id))
    return message


def _publish(message) -> None:
    if getattr(settings, "CELERY_TASK_ALWAYS_EAGER", False):
        # Embedded demo mode: no broker, the job runs here and now. Only a worker imports the
        # apps' tasks modules by itself: this process does it once, before the first job.
        if message.task not in current_app.tasks:
            current_app.loader.import_default_modules()
        current_app.tasks[message.task].apply(kwargs=message.kwargs, throw=True)
    else:
        current_app.send_task(
            message.task,
            kwargs=message.kwargs,
            queue=settings.CELERY_TASK_DEFAULT_QUEUE,
            retry=False,
            headers={"request_id": message.request_id} if message.request_id else None,
        )


def _relay(queryset, limit: int) -> tuple[int, bool]:
    """Publish pending messages of `queryset` (locked, skipping those another relay holds).
    Returns how many were published and whether the broker refused one."""
    published = 0
    for message in queryset.select_for_update(skip_locked=True).filter(published_at__isnull=True)[:limit]:
        try:
            _publish(message)
        except Exception as error:  # the broker is unreachable (or the eager job failed): try again later
            message.attempts += 1
            message.last_error = f"{type(error).__name__}: {error}"[:300]
            message.save(update_fields=["attempts", "last_error"])
            log.warning("Outbox: %s could not be published (%s); it stays pending", message.task, type(error).__name__)
            return published, True
        message.attempts += 1
        message.published_at = timezone.now()
        message.save(update_fields=["attempts", "published_at"])
        published += 1
    return published, False


def outbox_kick(*, country_id: int | None, message_id: int) -> None:
    """Right after the commit that wrote a message: publish it now, in this process. Never raises:
    the change is already committed and the relay will publish what this could not."""
    try:
        if country_id is None:
            with transaction.atomic():
                _relay(PlatformOutboxMessage.objects.filter(pk=message_id), 1)
        else:
            with country_context(country_id):
                _relay(OutboxMessage.objects.filter(pk=message_id), 1)
    except Exception as error:
        log.warning("Outbox kick failed (%s); the relay will publish the job", type(error).__name__)


def outbox_relay(*, limit: int = 200) -> int:
    """Publish every pending message, of every country and of the platform (beat, every few
    seconds). Stops at the first refusal: the broker is down, the next run tries again."""
    with transaction.atomic():
        published, refused = _relay(PlatformOutboxMessage.objects.all(), limit)
    if refused:
        return published
    country_ids = list(Country.objects.values_list("pk", flat=True))
    if country_ids:
        with country_context(country_ids):
            count, _ = _relay(OutboxMessage.objects.all(), limit)
            published += count
    return published


def outbox_pending_count() -> int:
    """Messages not yet handed to the broker, of every country and of the platform."""
    country_ids = list(Country.objects.values_list("pk", flat=True))
    with country_context(country_ids):
        pending = OutboxMessage.objects.filter(published_at__isnull=True).count()
    return pending + PlatformOutboxMessage.objects.filter(published_at__isnull=True).count()


def outbox_oldest_pending_at():
    """When the oldest message not yet handed to the broker was written (None: nothing waits)."""
    country_ids = list(Country.objects.values_list("pk", flat=True))
    with country_context(country_ids):
        oldest = (
            OutboxMessage.objects.filter(published_at__isnull=True)
            .order_by("created_at")
            .values_list("created_at", flat=True)
            .first()
        )
    platform = (
        PlatformOutboxMessage.objects.filter(published_at__isnull=True)
        .order_by("created_at")
        .values_list("created_at", flat=True)
        .first()
    )
    return min((when for when in (oldest, platform) if when is not None), default=None)
