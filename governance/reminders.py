"""Reminders (run daily by beat through governance.tasks): acknowledgements that expire within
REMIND_DAYS_BEFORE, incidents whose reporting deadline is near or past, and impact assessments
whose review date is near or past (the last two also as in-app notices, marked done once someone
acts). Each reminder is sent once per period (reminded_at) and recorded on the ledger with ids only."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tenants.isolation import country_context
from tenants.languages.choice import in_language_of
from tenants.models import Country, Membership
from tenants.notifications import services as inbox
from tenants.notifications.mail import mail_enqueue, per_reader
from tenants.record.ledger import event_record

from .acknowledgements import RENEW_WITHIN_DAYS
from .incidents import incident_url
from .models import Acknowledgement, ImpactAssessment, Incident
from .selectors import current_versions
from .services import assessment_url

REMIND_DAYS_BEFORE = RENEW_WITHIN_DAYS  # the days a policy's page offers to acknowledge again
INCIDENT_REMIND_DAYS_BEFORE = 3


@transaction.atomic
def acknowledgement_reminders_send(*, country_id: int) -> int:
    country = Country.objects.get(pk=country_id)
    now = timezone.now()
    sent = 0
    with country_context(country):
        horizon = now + timedelta(days=REMIND_DAYS_BEFORE)
        current = set(current_versions(country=country).values_list("pk", flat=True))
        # Someone who already renewed, or whose version was replaced (they will be asked for the new
        # one on their page), is not reminded about the old acknowledgement.
        renewed = set(
            Acknowledgement.objects.filter(version_id__in=current, expires_at__gt=horizon).values_list(
                "user_id", "version_id"
            )
        )
        due = (
            Acknowledgement.objects.filter(expires_at__lte=horizon, reminded_at__isnull=True)
            .select_related("user", "version__policy")
            .select_for_update(of=("self",))
        )
        for ack in due:
            if ack.version_id in current and (ack.user_id, ack.version_id) not in renewed and ack.user.email:
                with in_language_of(ack.user):
                    mail_enqueue(
                        to=ack.user.email,
                        subject=_("Please acknowledge “{title}” again").format(title=ack.version.policy.title),
                        body=_(
                            "Your acknowledgement of {title} expires on {date}. Acknowledge it on the Governance page: {link}"
                        ).format(
                            title=ack.version.policy.title,
                            date=date_format(ack.expires_at, "DATE_FORMAT"),
                            link=f"{settings.PORTAL_BASE_URL}/c/{country.code.lower()}/governance/policies/",
                        ),
                    )
                sent += 1
            ack.reminded_at = now
            ack.save(update_fields=["reminded_at"])
        if sent:
            event_record(country=country, action="policy.reminders_sent", payload={"count": sent})
    return sent


@transaction.atomic
def incident_reminders_send(*, country_id: int) -> int:
    """Incidents not yet reported whose deadline is near or past: the country admins are told in
    the portal and by email, once; the notice is done when the incident is reported."""
    country = Country.objects.get(pk=country_id)
    now = timezone.now()
    sent = 0
    with country_context(country):
        due = list(
            Incident.objects.filter(
                reported_at__isnull=True,
                reminded_at__isnull=True,
                report_due_at__lte=now + timedelta(days=INCIDENT_REMIND_DAYS_BEFORE),
            ).select_for_update()
        )
        if not due:
            return 0
        admins = list(inbox.country_admins_of(country))
        for incident in due:
            inbox.notify(
                users=admins,
                country=country,
                url=incident_url(incident, country),
                subject=format_lazy(gettext_lazy("Incident report due: {title}"), title=incident.title),
                body=format_lazy(
                    gettext_lazy(
                        "The {severity} incident “{title}” must be reported by {date}. Open it to record that it "
                        "was reported, or to go on with the investigation."
                    ),
                    severity=per_reader(lambda incident=incident: incident.get_severity_display().lower()),
                    title=incident.title,
                    date=incident.report_due_at.date().isoformat(),
                ),
            )
            incident.reminded_at = now
            incident.save(update_fields=["reminded_at"])
            event_record(
                country=country, action="incident.reminder_sent", target=incident, payload={"overdue": incident.overdue}
            )
            sent += 1
    return sent


@transaction.atomic
def assessment_review_reminders_send(*, country_id: int) -> int:
    """Completed assessments whose review date is near or past: whoever completed it and the
    country admins are told in the portal and by email, once per review date; the notice is done
    when the assessment is reviewed or superseded."""
    country = Country.objects.get(pk=country_id)
    now = timezone.now()
    horizon = timezone.localdate() + timedelta(days=int(getattr(settings, "ASSESSMENT_REVIEW_REMINDER_DAYS", 30)))
    sent = 0
    with country_context(country):
        due = list(
            ImpactAssessment.objects.filter(
                status=ImpactAssessment.Status.COMPLETED, review_by__lte=horizon, review_reminded_at__isnull=True
            )
            .select_related("completed_by")
            .select_for_update(of=("self",))
        )
        if not due:
            return 0
        admins = list(inbox.country_admins_of(country))
        active_members = set(
            Membership.objects.filter(country=country, status=Membership.Status.ACTIVE).values_list(
                "user_id", flat=True
            )
        )
        for assessment in due:
            people = {user.pk: user for user in admins}
            author = assessment.completed_by
            if author is not None and author.is_active and author.pk in active_members:
                people[author.pk] = author
            inbox.notify(
                users=people.values(),
                country=country,
                url=assessment_url(assessment, country),
                subject=format_lazy(gettext_lazy("Impact assessment to review: {title}"), title=assessment.title),
                body=format_lazy(
                    gettext_lazy(
                        "The impact assessment “{title}” is due for review by {date}. Confirm on its page that it "
                        "still describes the use, or start a new assessment that supersedes it."
                    ),
                    title=assessment.title,
                    date=assessment.review_by.isoformat(),
                ),
            )
            assessment.review_reminded_at = now
            assessment.save(update_fields=["review_reminded_at"])
            event_record(
                country=country,
                action="assessment.review_reminder_sent",
                target=assessment,
                payload={"review_by": assessment.review_by.isoformat()},
            )
            sent += 1
    return sent
