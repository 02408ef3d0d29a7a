"""Celery tasks of tenants: thin doors into services. They take ids only (never a secret) and the
service they call opens the country context itself."""

from celery import shared_task

from tenants import services


@shared_task(
    name="tenants.invitation_send",
    bind=True,
    acks_late=True,
    autoretry_for=(OSError,),
    retry_backoff=True,
    retry_backoff_max=600,
    max_retries=8,
)
def invitation_send(self, *, invitation_id: int, country_id: int) -> bool:
    return services.invitation_send(invitation_id=invitation_id, country_id=country_id)


@shared_task
def ping() -> str:
    """Answered by any live worker; /readyz uses it."""
    return "pong"
