"""The outbox relay (beat, every few seconds): the safety net behind each commit's own publish."""

from celery import shared_task

from tenants.jobs import health, outbox


@shared_task(name="tenants.outbox_relay", acks_late=True, ignore_result=True)
def outbox_relay() -> int:
    published = outbox.outbox_relay()
    health.relay_heartbeat_record()
    return published
