"""Certificates that run out: the reminder sent to their holders, and the renewal it asks for. A
person renews a certificate by enrolling again in its programme (page or API: the same enrolment
as the first time, training.services.enrolment_create, or a row of a roster a country admin
imports), once it has expired or expires within the reminder period; the new enrolment names the
one it renews (`Enrolment.renews`), which stays, with its certificate, as their history, and
becomes the current one (`Enrolment.current`: one per person and programme, held by a partial
unique index, so two renewals at once give one)."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from tenants.errors import ServiceError
from tenants.isolation import country_context
from tenants.languages.choice import in_language_of
from tenants.models import Country
from tenants.notifications.mail import mail_enqueue
from tenants.record.ledger import event_record

from .models import Certificate, Enrolment


def reminder_days() -> int:
    return int(getattr(settings, "TRAINING_REMINDER_DAYS", 30))


def renewable_from(certificate: Certificate):
    """When a certificate may be renewed: the start of its reminder period."""
    return certificate.expires_at - timedelta(days=reminder_days())


def renewal_refusal(enrolment: Enrolment, certificate: Certificate | None) -> str | None:
    """Why the person's current enrolment in a programme (with its certificate, if any) may not give
    way to a renewal: it is not completed, or its certificate is valid beyond the reminder period
    (from when it can be renewed is said). None: it may."""
    if enrolment.status != Enrolment.Status.COMPLETED or certificate is None:
        return _("This person is already enrolled in this programme.")
    if renewable_from(certificate) > timezone.now():
        return _(
            "This person's certificate for this programme is valid until {until}: it can be renewed from {start}."
        ).format(
            until=date_format(timezone.localtime(certificate.expires_at), "DATE_FORMAT"),
            start=date_format(timezone.localtime(renewable_from(certificate)), "DATE_FORMAT"),
        )
    return None


def renewal_check(enrolment: Enrolment) -> Enrolment:
    """The person's current enrolment in a programme, when they ask to enrol in it again: returned
    when a renewal may take its place; otherwise a ServiceError on `programme` saying why not."""
    reason = renewal_refusal(enrolment, Certificate.objects.filter(enrolment=enrolment).first())
    if reason is not None:
        raise ServiceError(reason, field="programme")
    return enrolment


def current_enrolments(*, user_ids) -> dict[tuple[int, str], tuple[Enrolment, Certificate | None]]:
    """The current enrolments of these people (in the caller's country context), locked as
    enrolment_create locks one so that two renewals at once give one, each with its certificate,
    by (person, programme code as a roster names it). Two queries."""
    rows = list(
        Enrolment.objects.select_for_update(of=("self",))
        .filter(user_id__in=user_ids, current=True)
        .select_related("programme")
    )
    certificates = {c.enrolment_id: c for c in Certificate.objects.filter(enrolment__in=rows)}
    return {
        (row.user_id, f"local-{row.local_programme_id}" if row.local_programme_id else row.programme.slug): (
            row,
            certificates.get(row.pk),
        )
        for row in rows
    }


@transaction.atomic
def certificate_reminders_send(*, country_id: int) -> int:
    """Email the holders of certificates expiring within the reminder period, once each; not those
    who enrolled again to renew it already."""
    country = Country.objects.get(pk=country_id)
    now = timezone.now()
    with country_context(country):
        due = list(
            Certificate.objects.filter(
                reminded_at__isnull=True,
                expires_at__gt=now,
                expires_at__lte=now + timedelta(days=reminder_days()),
                enrolment__current=True,
            ).select_related("user", "programme", "local_programme")
        )
        for certificate in due:
            with in_language_of(certificate.user):
                mail_enqueue(
                    to=certificate.user.email,
                    subject=_("Your {course} certificate expires soon").format(course=certificate.course.plain_title),
                    body=_(
                        "Your certificate for {course} expires on {date}. To renew it, enrol in the programme again "
                        "from the Training page of the portal."
                    ).format(
                        course=certificate.course.plain_title, date=date_format(certificate.expires_at, "DATE_FORMAT")
                    ),
                )
        Certificate.objects.filter(pk__in=[c.pk for c in due]).update(reminded_at=now)
        if due:
            event_record(country=country, action="training.reminders_sent", payload={"count": len(due)})
    return len(due)
