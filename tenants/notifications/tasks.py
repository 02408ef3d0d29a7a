"""Celery tasks of notifications: sending one mail (through the outbox), and the daily sweep of
mail still waiting."""

from smtplib import SMTPException

from celery import shared_task

from tenants.notifications import mail


@shared_task(
    name="tenants.mail_send",
    bind=True,
    acks_late=True,
    autoretry_for=(OSError, SMTPException),
    retry_backoff=True,
    retry_backoff_max=3600,
    max_retries=12,
)
def mail_send(self, *, mail_id: int) -> bool:
    return mail.mail_send(mail_id=mail_id)


@shared_task(name="tenants.mail_send_waiting", acks_late=True)
def mail_send_waiting() -> int:
    return mail.mail_send_waiting()
