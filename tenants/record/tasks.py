"""Scheduled work on the record (beat): the sweep that chains what a stopped process left waiting
(every minute, and once when a worker starts), checkpoints of every chain, and nightly verification."""

from __future__ import annotations

import logging

from celery import shared_task
from celery.signals import worker_ready

log = logging.getLogger(__name__)


@shared_task(acks_late=True)
def ledger_chain_sweep() -> int:
    """Chain every event committed but left unchained (its process stopped between the commit and
    the chaining that follows it); returns how many."""
    from tenants.record.chaining import chain_sweep

    return chain_sweep()


@worker_ready.connect(weak=False, dispatch_uid="tenants.record.chain_sweep_on_start")
def _sweep_on_start(sender=None, **kwargs) -> None:
    """A worker that starts sweeps once, itself, so events a crash left unchained wait for no beat.
    Its connection is closed after: the pool's processes forked later must not inherit it."""
    from django.db import connection

    from tenants.record.chaining import chain_sweep

    try:
        log.info("Ledger: %s waiting events chained at the worker's start", chain_sweep())
    except Exception:  # noqa: BLE001 - a database not reachable yet: beat's next sweep does it
        log.warning("Ledger: the sweep at the worker's start failed; beat's next one chains", exc_info=True)
    finally:
        connection.close()


@shared_task(acks_late=True)
def ledger_checkpoint_all() -> int:
    """Sign the head of every chain that moved since its last checkpoint (scheduled by beat)."""
    from tenants.models import Country
    from tenants.record.ledger import checkpoint_create

    made = 1 if checkpoint_create() else 0
    for country in Country.objects.order_by("pk"):
        made += 1 if checkpoint_create(country=country) else 0
    return made


@shared_task(acks_late=True)
def ledger_verify_all() -> bool:
    """Verify every chain and its checkpoints; record the run and alert on a break (beat)."""
    from tenants.record.ledger import ledger_verify_all as verify

    return all(report.ok for report in verify(record=True))
