"""The outbox relay (beat, every few seconds): the safety net behind each commit's own publish."""

from celery import shared_task

from tenants.jobs import health, outbox, sweep


@shared_task(name="tenants.outbox_relay", acks_late=True, ignore_result=True)
def outbox_relay() -> int:
    published = outbox.outbox_relay()
    health.relay_heartbeat_record()
    return published


@shared_task(name="tenants.jobs_sweep", acks_late=True, ignore_result=True)
def jobs_sweep() -> dict:
    """Beat, every 15 minutes: stuck jobs run again, or end in a clear failure."""
    return sweep.jobs_sweep()
