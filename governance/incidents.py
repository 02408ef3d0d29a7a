"""Writes of incidents: reported with a deadline by severity, advanced through their steps, marked reported to the authority. Each is transactional and on the record."""

from __future__ import annotations

from datetime import UTC, datetime

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from governance.services import require_writer
from tenants.access import Access
from tenants.errors import ServiceError
from tenants.isolation import country_context
from tenants.languages.formatting import long_date
from tenants.models import Country
from tenants.notifications import services as inbox
from tenants.record.ledger import event_record

from .models import ImpactAssessment, Incident

EARLIEST_DETECTION = datetime(2000, 1, 1, tzinfo=UTC)


@transaction.atomic
def incident_report(
    *,
    country: Country,
    by,
    access: Access,
    title: str,
    severity: str,
    description: str,
    people_affected: int = 0,
    steps_taken: str = "",
    deployment_reference: str = "",
    assessment: ImpactAssessment | None = None,
    detected_at: datetime | None = None,
) -> Incident:
    role = require_writer(access, country)
    title = (title or "").strip()
    if not title or len(title) > 200:
        raise ServiceError(_("Enter a short title of 200 characters or fewer."), field="title")
    if severity not in Incident.Severity.values:
        raise ServiceError(_("Choose the severity: serious, major or minor."), field="severity")
    if not (description or "").strip():
        raise ServiceError(_("Describe what happened."), field="description")
    if not isinstance(people_affected, int) or people_affected < 0:
        raise ServiceError(
            _("Enter the number of people affected as a whole number, 0 or more."), field="people_affected"
        )
    deployment_reference = (deployment_reference or "").strip()
    if len(deployment_reference) > 100:
        raise ServiceError(_("The deployment reference must be 100 characters or fewer."), field="deployment_reference")
    if not deployment_reference and assessment is None:
        raise ServiceError(
            _("Name the deployment or choose the assessed use the incident concerns."), field="deployment_reference"
        )
    now = timezone.now()
    detected_at = detected_at or now
    if detected_at > now:
        raise ServiceError(_("The detection date cannot be in the future."), field="detected_at")
    if detected_at < EARLIEST_DETECTION:
        # A typo (year 1, say), not an incident: its report deadline would make it overdue in
        # every report, and some time zones cannot even show it.
        raise ServiceError(_("The detection date must be in the year 2000 or later."), field="detected_at")
    with country_context(country):
        if assessment is not None and assessment.country_id != country.pk:
            raise ServiceError(_("Choose one of this country's assessments."), field="assessment")
        incident = Incident(
            country=country,
            title=title,
            severity=severity,
            description=description.strip(),
            steps_taken=(steps_taken or "").strip(),
            people_affected=people_affected,
            deployment_reference=deployment_reference,
            assessment=assessment,
            detected_at=detected_at,
            report_due_at=Incident.due_for(severity, detected_at),
            created_by=by,
        )
        incident.save()
        event_record(
            country=country,
            action="incident.reported",
            actor=by,
            actor_role=role,
            target=incident,
            payload={
                "severity": severity,
                "people_affected": people_affected,
                "assessment": assessment.pk if assessment else 0,
            },
        )
    return incident


@transaction.atomic
def incident_advance(*, incident: Incident, by, access: Access, steps_taken: str | None = None) -> Incident:
    """Move an incident one step along open → investigating → resolved → closed."""
    country = Country.objects.get(pk=incident.country_id)
    role = require_writer(access, country)
    with country_context(country):
        locked = Incident.objects.select_for_update().get(pk=incident.pk)
        following = Incident.NEXT.get(locked.status)
        if following is None:
            raise ServiceError(_("This incident is closed."))
        previous = locked.status
        locked.status = following
        fields = ["status"]
        if steps_taken is not None and steps_taken.strip():
            locked.steps_taken = steps_taken.strip()
            fields.append("steps_taken")
        locked.save(update_fields=fields)
        event_record(
            country=country,
            action="incident.status_changed",
            actor=by,
            actor_role=role,
            target=locked,
            payload={"from": previous, "to": following},
        )
    return locked


def incident_url(incident: Incident, country: Country) -> str:
    return reverse("governance:incident", kwargs={"code": country.code.lower(), "pk": incident.pk})


@transaction.atomic
def incident_mark_reported(*, incident: Incident, by, access: Access) -> Incident:
    """Record that the incident was reported to the programme (and the authority where the law
    requires): this stops the deadline reminders."""
    country = Country.objects.get(pk=incident.country_id)
    role = require_writer(access, country)
    with country_context(country):
        locked = Incident.objects.select_for_update().get(pk=incident.pk)
        if locked.reported_at is not None:
            raise ServiceError(
                _("This incident was already reported on {locked_reported_at}.").format(
                    locked_reported_at=long_date(locked.reported_at)
                )
            )
        locked.reported_at = timezone.now()
        locked.save(update_fields=["reported_at"])
        # The deadline notices have done their work.
        inbox.notifications_clear(country=country, url=incident_url(locked, country))
        event_record(
            country=country,
            action="incident.reported_to_programme",
            actor=by,
            actor_role=role,
            target=locked,
            payload={"late": locked.reported_at > locked.report_due_at},
        )
    return locked
