"""Reminders (run daily by beat through governance.tasks): acknowledgements that expire within
REMIND_DAYS_BEFORE, and incidents whose reporting deadline is near or past. Each reminder is sent
once per period (reminded_at) and recorded on the ledger with ids only."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from tenants.isolation import country_context
from tenants.languages.choice import in_language_of
from tenants.languages.formatting import long_date
from tenants.models import Country, Membership
from tenants.notifications.mail import mail_enqueue, mail_to_user
from tenants.record.ledger import event_record

from .models import Acknowledgement, Incident
from .selectors import current_versions

REMIND_DAYS_BEFORE = 14
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
        admins = [
            m.user
            for m in Membership.objects.filter(
                country=country, role=Membership.Role.COUNTRY_ADMIN, status=Membership.Status.ACTIVE
            )
            .exclude(user__email="")
            .select_related("user")
        ]
        for incident in due:
            link = f"{settings.PORTAL_BASE_URL}/c/{country.code.lower()}/governance/incidents/{incident.pk}/"
            for admin in admins:
                # Each admin reads it in their own language (the worker runs in none).
                mail_to_user(
                    admin,
                    subject=lambda incident=incident: _("Incident report due: %(title)s") % {"title": incident.title},
                    body=lambda incident=incident, link=link: (
                        _(
                            "The incident “%(title)s” (severity: %(severity)s) must be reported by %(date)s. Open it "
                            "in the portal to start the investigation: %(link)s"
                        )
                        % {
                            "title": incident.title,
                            "severity": incident.get_severity_display(),
                            "date": long_date(incident.report_due_at),
                            "link": link,
                        }
                    ),
                )
            incident.reminded_at = now
            incident.save(update_fields=["reminded_at"])
            event_record(
                country=country, action="incident.reminder_sent", target=incident, payload={"overdue": incident.overdue}
            )
            sent += 1
    return sent
