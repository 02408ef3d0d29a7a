"""Celery tasks of tenants: thin doors into services. They take ids only (never a secret) and the
service they call opens the country context itself."""
from celery import shared_task

from . import services


@shared_task(bind=True, acks_late=True, autoretry_for=(OSError,), retry_backoff=True, retry_backoff_max=600, max_retries=8)
def invitation_send(self, *, invitation_id: int, country_id: int) -> bool:
    return services.invitation_send(invitation_id=invitation_id, country_id=country_id)


@shared_task
def ping() -> str:
    """Answered by any live worker; /readyz uses it."""
    return "pong"


@shared_task(bind=True, acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=8)
def key_rotation_sweep(self, *, rotation_id: int, country_id: int) -> int:
    """Re-encrypt a country's values under its new key; resumable, so a retry repeats nothing."""
    from . import sovereignty

    return sovereignty.key_rotation_sweep(rotation_id=rotation_id, country_id=country_id).done


@shared_task(acks_late=True)
def ledger_checkpoint_all() -> int:
    """Sign the head of every chain that moved since its last checkpoint (scheduled by beat)."""
    from .ledger import checkpoint_create
    from .models import Country

    made = 1 if checkpoint_create() else 0
    for country in Country.objects.order_by("pk"):
        made += 1 if checkpoint_create(country=country) else 0
    return made


@shared_task(acks_late=True)
def ledger_verify_all() -> bool:
    """Verify every chain and its checkpoints; record the run and alert on a break (beat)."""
    from .ledger import ledger_verify_all as verify

    return all(report.ok for report in verify(record=True))


@shared_task(bind=True, acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def country_export_build(self, *, export_id: int, country_id: int) -> str:
    from . import exit as country_exit

    return country_exit.country_export_build(export_id=export_id, country_id=country_id).state


@shared_task(acks_late=True)
def country_exports_expire() -> int:
    """Delete export files past their expiry (scheduled by beat)."""
    from . import exit as country_exit

    return country_exit.country_exports_expire()
