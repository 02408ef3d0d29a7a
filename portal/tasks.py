"""Celery tasks of portal: thin doors into the compliance report services, ids only."""
from celery import shared_task


@shared_task(bind=True, acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def compliance_report_build(self, *, report_id: int, country_id: int) -> str:
    from .reports.services import report_build

    return report_build(report_id=report_id, country_id=country_id).state


@shared_task(acks_late=True)
def compliance_reports_expire() -> int:
    """Delete report files past their expiry (scheduled by beat)."""
    from .reports.services import reports_expire

    return reports_expire()


@shared_task(acks_late=True)
def compliance_subscriptions_run() -> int:
    """Request last month's report for every subscription (scheduled by beat on the 1st)."""
    from .reports.subscriptions import subscriptions_run

    return subscriptions_run()
