"""Celery tasks of the keys room: thin doors into rotation, exports, exits and subject access,
with ids only."""

from __future__ import annotations

from celery import shared_task

from tenants.keys import exit, export, resealing, rotation, subject_access, windows


@shared_task(
    name="tenants.key_rotation_sweep",
    soft_time_limit=3600,  # a large country's file; the job records a failure
    time_limit=3660,
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
    soft_time_limit=3600,  # a large country's file; the job records a failure
    time_limit=3660,
    bind=True,
    acks_late=True,
    autoretry_for=(OSError,),
    retry_backoff=True,
    max_retries=5,
)
def country_export_build(self, *, export_id: int, country_id: int) -> str:
    return export.country_export_build(export_id=export_id, country_id=country_id).state


@shared_task(
    name="tenants.country_exit_proceed", bind=True, acks_late=True, soft_time_limit=6 * 3600, time_limit=6 * 3600 + 60
)
def country_exit_proceed(self, *, exit_id: int, country_id: int) -> str:
    """The last export of a country that leaves, its verification, then the destruction of its keys.
    A failure is recorded on the exit (which can be run again), never retried blindly."""
    return exit.country_exit_proceed(exit_id=exit_id, country_id=country_id).state


@shared_task(
    name="tenants.subject_access_build",
    soft_time_limit=3600,  # a large country's file; the job records a failure
    time_limit=3660,
    bind=True,
    acks_late=True,
    autoretry_for=(OSError,),
    retry_backoff=True,
    max_retries=5,
)
def subject_access_build(self, *, request_id: int, country_id: int) -> str:
    return subject_access.subject_access_build(request_id=request_id, country_id=country_id).state


@shared_task(acks_late=True)
def country_exports_expire() -> int:
    """Delete export files (of countries, and of people's data) past their expiry (scheduled by beat)."""
    return export.country_exports_expire() + subject_access.subject_access_expire()


@shared_task(
    name="tenants.files_reseal", bind=True, acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=8
)
def files_reseal(self, *, country_id: int, kind: str = "", after: int = 0, sealed: int = 0, deleted: int = 0) -> int:
    """One batch of sealing the files stored before sealing; the next batch goes through the outbox."""
    return resealing.files_reseal_step(
        country_id=country_id, kind=kind, after=after, sealed=sealed, deleted=deleted
    ).sealed


@shared_task(name="tenants.sealing_windows_close_due", acks_late=True, soft_time_limit=3600, time_limit=3660)
def sealing_windows_close_due() -> int:
    """Close the sealing windows open longer than SEALING_WINDOW_HOURS (scheduled by beat): the
    upgrade that opened them has rolled out long since. Batches commit as they go, so a run stopped
    by its time limit is taken up by the next one."""
    return len(windows.windows_close(windows.windows_due()))
