"""Celery tasks of the keys room: thin doors into rotation and exit, with ids only."""

from __future__ import annotations

from celery import shared_task

from tenants.keys import exit, rotation


@shared_task(
    name="tenants.key_rotation_sweep",
    bind=True,
    acks_late=True,
    autoretry_for=(OSError,),
    retry_backoff=True,
    max_retries=8,
)
def key_rotation_sweep(self, *, rotation_id: int, country_id: int) -> int:
    """Re-encrypt a country's values under its new key; resumable, so a retry repeats nothing."""
    return rotation.key_rotation_sweep(rotation_id=rotation_id, country_id=country_id).done


@shared_task(
    name="tenants.country_export_build",
    bind=True,
    acks_late=True,
    autoretry_for=(OSError,),
    retry_backoff=True,
    max_retries=5,
)
def country_export_build(self, *, export_id: int, country_id: int) -> str:
    return exit.country_export_build(export_id=export_id, country_id=country_id).state


@shared_task(acks_late=True)
def country_exports_expire() -> int:
    """Delete export files past their expiry (scheduled by beat)."""
    return exit.country_exports_expire()
