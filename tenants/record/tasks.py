"""Scheduled work on the record (beat): checkpoints of every chain, and nightly verification."""

from __future__ import annotations

from celery import shared_task


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
