"""The sweeper of stuck jobs (beat, every 15 minutes). The outbox guarantees a job reaches the
broker; this guarantees that a job whose row still says "waiting" or "being built" long after its
task could have finished is run again, and that one still unfinished after several chances ends
in a clear failure, so that its progress page stops polling and says what happened.

Each app registers its job rows (model, task, id argument) in its AppConfig.ready; a task is run
again only after its hard time limit has passed, so a sweep never races a run still under way, and
the tasks are idempotent (a finished job is left alone)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.apps import apps
from django.utils import timezone

from tenants.isolation import country_context
from tenants.jobs.outbox import outbox_enqueue
from tenants.models import Country

log = logging.getLogger(__name__)
REDRIVES = 3  # chances a stuck job gets before it is marked failed
TIMED_OUT = (
    "The job did not finish after several attempts. Request it again; if it fails again, tell the platform team."
)


@dataclass(frozen=True)
class JobKind:
    model: str  # "portal.ComplianceReport"
    task: str  # its registered Celery task
    id_argument: str  # the task's keyword argument naming the row
    redrive_after: timedelta  # longer than the task's hard time limit


_KINDS: dict[str, JobKind] = {}


def job_kind_register(*, model: str, task: str, id_argument: str, redrive_after: timedelta) -> None:
    _KINDS[model] = JobKind(model, task, id_argument, redrive_after)


def job_kinds() -> list[JobKind]:
    return list(_KINDS.values())


def jobs_sweep(*, now=None) -> dict[str, int]:
    """Run stuck jobs again, or end them in failure; returns how many of each."""
    now = now or timezone.now()
    counts = {"redriven": 0, "failed": 0}
    country_ids = list(Country.objects.values_list("pk", flat=True))
    for kind in _KINDS.values():
        model = apps.get_model(kind.model)
        unfinished = [model.State.PENDING, model.State.RUNNING]
        for country_id in country_ids:
            with country_context(country_id):
                stuck = model.objects.filter(state__in=unfinished, created_at__lte=now - kind.redrive_after)
                expired = stuck.filter(created_at__lte=now - kind.redrive_after * (REDRIVES + 1))
                ended = {"state": model.State.FAILED, "error": TIMED_OUT}
                if any(field.name == "step" for field in model._meta.fields):
                    ended["step"] = TIMED_OUT[:200]  # what the progress page shows on the row
                counts["failed"] += expired.update(**ended)
                for row_id in stuck.values_list("pk", flat=True):
                    outbox_enqueue(task=kind.task, country_id=country_id, **{kind.id_argument: row_id})
                    counts["redriven"] += 1
    if any(counts.values()):
        log.warning("Stuck jobs: %(redriven)s run again, %(failed)s ended as failed", counts)
    return counts
