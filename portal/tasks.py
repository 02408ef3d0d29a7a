"""Celery tasks of portal: thin doors into the compliance report services, ids only."""

from celery import shared_task

from portal.reports import services, subscriptions


@shared_task(
    name="portal.compliance_report_build",
    soft_time_limit=3600,  # a large country's file; the job records a failure
    time_limit=3660,
    bind=True,
    acks_late=True,
    autoretry_for=(OSError,),
    retry_backoff=True,
    max_retries=5,
)
def compliance_report_build(self, *, report_id: int, country_id: int) -> str:
    return services.report_build(report_id=report_id, country_id=country_id).state


@shared_task(acks_late=True)
def compliance_reports_expire() -> int:
    """Delete report files past their expiry (scheduled by beat)."""
    return services.reports_expire()


@shared_task(acks_late=True)
def compliance_subscriptions_run() -> int:
    """Request last month's report for every subscription (scheduled by beat on the 1st)."""
    return subscriptions.subscriptions_run()
