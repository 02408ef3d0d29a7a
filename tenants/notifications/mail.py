"""Outgoing mail, sent by a worker (DESIGN §7): `mail_enqueue` writes the mail in the caller's
transaction and a job through the outbox; the worker sends it and wipes its address and text.
A refused change sends nothing; a mail server outage delays mail but never fails the change, and
the daily sweep re-drives anything still waiting."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from tenants.jobs.outbox import outbox_enqueue
from tenants.notifications.models import OutgoingMail

log = logging.getLogger(__name__)
MAIL_TASK = "tenants.mail_send"


def mail_enqueue(*, to: str, subject: str, body: str) -> OutgoingMail | None:
    """One mail to one address, sent once the caller's transaction commits. No address, no mail."""
    to = (to or "").strip()
    if not to:
        return None
    mail = OutgoingMail.objects.create(to=to[:254], subject=subject[:200], body=body)
    outbox_enqueue(task=MAIL_TASK, mail_id=mail.pk)
    return mail


def mail_to_user(user, *, subject, body, country=None) -> OutgoingMail | None:
    """One mail to a person, written in the language they read (their choice, else their
    country's), whoever caused it and in whatever language the caller runs: `subject` and `body`
    are lazy texts or functions returning text, rendered under the recipient's language.
    `country`: the country the mail is about, whose default language applies to someone who has
    no membership in force yet (an invited person)."""
    from django.conf import settings
    from django.utils import translation

    from tenants.languages.choice import language_for_user, reading_for

    if country is not None:
        language = reading_for(user, member_country_ids={country.pk}).language or settings.LANGUAGE_CODE
    else:
        language = language_for_user(user)
    with translation.override(language):
        text_subject = str(subject() if callable(subject) else subject)
        text_body = str(body() if callable(body) else body)
    return mail_enqueue(to=user.email, subject=text_subject, body=text_body)


def per_reader(render) -> str:
    """A text rendered when it is read (str()), so in the language active then: pass it to notify()
    or mail_to_user(), which render it once per recipient in their language."""
    from django.utils.functional import lazy

    return lazy(render, str)()


def mail_send(*, mail_id: int) -> bool:
    """Send one mail (run by a worker); safe to run again: the row is locked while it is sent, and a
    sent mail is not sent twice. Raises on a mail server error, so that the task retries."""
    failure = None
    with transaction.atomic():
        mail = OutgoingMail.objects.select_for_update(skip_locked=True).filter(pk=mail_id, sent_at__isnull=True).first()
        if mail is None:
            return False
        try:
            send_mail(mail.subject, mail.body, None, [mail.to], fail_silently=False)
        except Exception as error:  # recorded below, outside the rolled-back transaction
            failure = error
        else:
            OutgoingMail.objects.filter(pk=mail.pk).update(
                sent_at=timezone.now(), to="", subject="", body="", last_error="", attempts=F("attempts") + 1
            )
    if failure is not None:
        OutgoingMail.objects.filter(pk=mail_id).update(
            attempts=F("attempts") + 1, last_error=type(failure).__name__[:300]
        )
        log.warning("Mail %s not sent (%s); it will be retried", mail_id, type(failure).__name__)
        raise failure
    return True


def mail_send_waiting(*, older_than: timedelta = timedelta(minutes=5)) -> int:
    """Re-drive mail still waiting (the daily sweep, or an operator): each gets a new job."""
    cutoff = timezone.now() - older_than
    ids = list(OutgoingMail.objects.filter(sent_at__isnull=True, created_at__lte=cutoff).values_list("pk", flat=True))
    with transaction.atomic():
        for mail_id in ids:
            outbox_enqueue(task=MAIL_TASK, mail_id=mail_id)
    return len(ids)
