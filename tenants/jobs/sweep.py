"""The sweeper of stuck jobs (beat, every 15 minutes). The outbox guarantees a job reaches the
broker; this guarantees that a job whose row still says "waiting" or "being built" long after its
task could have finished is run again, and that one still unfinished after several chances ends
in a clear failure, so that its progress page stops polling and says what happened.

Each app registers its job rows (model, task, id argument) in its AppConfig.ready; a task is run
again only after its hard time limit has passed since it was last handed over (or, for a kind that
says how, since the row last showed progress), so a sweep never races a run still under way, and
the tasks are idempotent (a finished job is left alone). The attempts are counted by the job's own
outbox messages (the first and each re-drive): a kind's `redrives` at most, each waiting `backoff`
times longer than the one before, then the row ends failed with TIMED_OUT (and the kind's
`on_failed` says so to whom it concerns)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.apps import apps
from django.db import transaction
from django.db.models import Count, Max
from django.utils import timezone
from django.utils.translation import gettext_noop

from tenants.isolation import country_context
from tenants.jobs.models import OutboxMessage
from tenants.jobs.outbox import outbox_enqueue
from tenants.models import Country

log = logging.getLogger(__name__)
REDRIVES = 3  # times a stuck job is handed to a worker again before it is marked failed
# The row's error, in English (the language of the record); its step says the same in the
# reader's language (the code "timed_out" of tenants.jobs.steps).
TIMED_OUT = gettext_noop(
    "The job did not finish after several attempts. Request it again; if it fails again, tell the platform team."
)


@dataclass(frozen=True)
class JobKind:
    model: str  # "portal.ComplianceReport"
    task: str  # its registered Celery task
    id_argument: str  # the task's keyword argument naming the row
    redrive_after: timedelta  # longer than the task's hard time limit
    redrives: int = REDRIVES
    backoff: float = 1  # each wait is this many times the one before (1: always redrive_after)
    progress: Callable[[object], datetime | None] | None = None  # when the row last moved on
    on_failed: Callable[[object], None] | None = None  # in the sweep's transaction, once ended failed

    def wait(self, handed_over: int) -> timedelta:
        """How long a job handed over `handed_over` times may stay still before its next chance."""
        return self.redrive_after * self.backoff ** max(0, min(handed_over, self.redrives) - 1)


_KINDS: dict[str, JobKind] = {}


def job_kind_register(*, model: str, task: str, id_argument: str, redrive_after: timedelta, **options) -> None:
    _KINDS[model] = JobKind(model, task, id_argument, redrive_after, **options)


def job_kinds() -> list[JobKind]:
    return list(_KINDS.values())


def _handed_over(model_task: str, id_argument: str, row_id: int):
    """The outbox messages that ran this row's job: the first one and every re-drive (kept rows of
    the outbox, each written when the job was asked for again)."""
    return OutboxMessage.objects.filter(task=model_task, kwargs__contains={id_argument: row_id})


def jobs_sweep(*, now=None) -> dict[str, int]:
    """Run stuck jobs again, or end them in failure; returns how many of each.

    A job is stuck when its row still says waiting or being built, and has neither been handed to a
    worker nor moved on for its kind's wait (longer than its hard time limit; longer at each
    re-drive when the kind backs off). It is handed over again, through the outbox, at most its
    kind's `redrives` times; stuck after the last of those, it ends failed with TIMED_OUT, which its
    progress page shows. One query per kind finds the countries with rows old enough to look at."""
    now = now or timezone.now()
    counts = {"redriven": 0, "failed": 0}
    country_ids = list(Country.objects.values_list("pk", flat=True))
    for kind in _KINDS.values():
        model = apps.get_model(kind.model)
        unfinished = [model.State.PENDING, model.State.RUNNING]
        ended = {"state": model.State.FAILED, "error": TIMED_OUT}
        if any(field.name == "step" for field in model._meta.fields):
            ended.update(step="timed_out", step_params={})  # what the progress page shows on the row
        old_enough = {"state__in": unfinished, "created_at__lte": now - kind.redrive_after}
        with country_context(country_ids):
            concerned = set(model.objects.filter(**old_enough).values_list("country_id", flat=True))
        for country_id in sorted(concerned):
            with country_context(country_id), transaction.atomic():
                for row in model.objects.select_for_update(skip_locked=True).filter(**old_enough):
                    handed = _handed_over(kind.task, kind.id_argument, row.pk).aggregate(
                        times=Count("pk"), last=Max("created_at")
                    )
                    moved = [when for when in (handed["last"], kind.progress and kind.progress(row)) if when]
                    if moved and max(moved) > now - kind.wait(handed["times"]):
                        continue  # its latest chance may still be running
                    if handed["times"] > kind.redrives:  # the first hand-over and every re-drive spent
                        if model.objects.filter(pk=row.pk, state__in=unfinished).update(**ended):
                            counts["failed"] += 1
                            if kind.on_failed is not None:
                                kind.on_failed(model.objects.get(pk=row.pk))
                        continue
                    outbox_enqueue(task=kind.task, country_id=country_id, **{kind.id_argument: row.pk})
                    counts["redriven"] += 1
    if any(counts.values()):
        log.warning("Stuck jobs: %(redriven)s run again, %(failed)s ended as failed", counts)
    return counts
