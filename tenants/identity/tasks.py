"""Celery tasks of sign-in: answering a password reset request (through the outbox), and the
sweep of requests whose job was lost."""

from celery import shared_task

from tenants.identity import password_reset


@shared_task(name="tenants.password_reset_answer", acks_late=True)
def password_reset_answer(*, reset_id: int) -> int:
    return password_reset.password_reset_answer(reset_id=reset_id)


@shared_task(name="tenants.password_reset_sweep", acks_late=True)
def password_reset_sweep() -> int:
    return password_reset.password_reset_sweep()
