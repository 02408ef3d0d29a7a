"""Scheduled work on engagements (beat): activation on the start date and reminders to reviewers.
Thin: no arguments, no personal data; the services open each country's context themselves."""

from celery import shared_task

from engagements import services as engagement_services


@shared_task(acks_late=True)
def engagement_activate_due() -> int:
    return engagement_services.engagement_activate_due()


@shared_task(acks_late=True)
def engagement_review_remind() -> int:
    return engagement_services.engagement_review_remind()
