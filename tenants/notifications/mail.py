"""Outgoing mail, sent by a worker (DESIGN §7): `mail_enqueue` writes the mail in the caller's
transaction and a job through the outbox; the worker sends it and wipes its address and text.
A refused change sends nothing; a mail server outage delays mail but never fails the change, and
the sweep re-drives anything still waiting. Every mail (invitations, notifications, reminders,
password resets) is sent here, at most once: see mail_send."""

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


INTERRUPTED = "interrupted: a worker stopped while handing it to the mail server; not sent again"


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
    """Send one mail (run by a worker), at most once, however often its job is delivered.

    1. Under the row's lock, claim it: `sending_at` is set and committed before anything is sent.
       A mail already sent, or already claimed, is left alone (a concurrent delivery skips the
       locked row).
    2. Hand it to the mail server. If the server refuses it or cannot be reached, it did not take
       the mail: the claim is released and the error raised, so that the task retries.
    3. Once the server took it, mark it sent and wipe its address and text.

    A worker that dies between 1 and 3 leaves the claim: the job delivered again (late
    acknowledgement) sends nothing and marks the mail interrupted. A person may miss a mail; nobody
    gets two copies of an invitation or a reminder."""
    with transaction.atomic():
        mail = OutgoingMail.objects.select_for_update(skip_locked=True).filter(pk=mail_id, sent_at__isnull=True).first()
        if mail is None:
            return False
        if mail.sending_at is not None:
            if mail.last_error != INTERRUPTED:
                OutgoingMail.objects.filter(pk=mail.pk).update(last_error=INTERRUPTED)
            log.warning("Mail %s was being sent when its worker stopped; it is not sent again", mail_id)
            return False
        OutgoingMail.objects.filter(pk=mail.pk).update(sending_at=timezone.now(), attempts=F("attempts") + 1)
    try:
        send_mail(mail.subject, mail.body, None, [mail.to], fail_silently=False)
    except Exception as failure:
        OutgoingMail.objects.filter(pk=mail_id, sent_at__isnull=True).update(
            sending_at=None, last_error=type(failure).__name__[:300]
        )
        log.warning("Mail %s not sent (%s); it will be retried", mail_id, type(failure).__name__)
        raise
    OutgoingMail.objects.filter(pk=mail_id).update(sent_at=timezone.now(), to="", subject="", body="", last_error="")
    return True


def mail_send_waiting(*, older_than: timedelta = timedelta(minutes=5)) -> int:
    """Re-drive mail still waiting (the sweep, or an operator): each gets a new job. A mail whose
    sending was interrupted is not among them: it may have left, and is never sent twice."""
    cutoff = timezone.now() - older_than
    ids = list(
        OutgoingMail.objects.filter(sent_at__isnull=True, sending_at__isnull=True, created_at__lte=cutoff).values_list(
            "pk", flat=True
        )
    )
    with transaction.atomic():
        for mail_id in ids:
            outbox_enqueue(task=MAIL_TASK, mail_id=mail_id)
    return len(ids)


def mail_interrupted_count() -> int:
    """Mails whose sending was interrupted by a stopped worker: sent or not, nobody knows."""
    return OutgoingMail.objects.filter(sent_at__isnull=True, sending_at__isnull=False).count()
