"""Mail goes through the outbox and is sent by a worker: written with the change, sent once, wiped
after sending, and kept (with the failure noted) when the mail server is down."""

from __future__ import annotations

import socket

import pytest
from django.core import mail
from django.db import transaction

from tenants.jobs.models import PlatformOutboxMessage
from tenants.notifications.mail import mail_enqueue, mail_send, mail_send_waiting
from tenants.notifications.models import OutgoingMail

pytestmark = pytest.mark.django_db


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_mail_is_a_row_and_a_job_in_the_same_transaction():
    with transaction.atomic():
        queued = mail_enqueue(to="ada@example.org", subject="Hello", body="A line.")
        assert PlatformOutboxMessage.objects.filter(task="tenants.mail_send", kwargs={"mail_id": queued.pk}).exists()
    assert mail.outbox == []
    assert mail_enqueue(to="  ", subject="Nobody", body="") is None


def test_sent_once_then_wiped():
    queued = mail_enqueue(to="ada@example.org", subject="Hello", body="A line.")
    assert mail_send(mail_id=queued.pk) is True
    assert mail_send(mail_id=queued.pk) is False  # a second delivery of the job sends nothing
    assert [(m.to, m.subject, m.body) for m in mail.outbox] == [(["ada@example.org"], "Hello", "A line.")]
    queued.refresh_from_db()
    assert queued.sent_at is not None and (queued.to, queued.subject, queued.body) == ("", "", "")


def test_a_mail_server_outage_keeps_the_mail_for_later(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", closed_port(), 2
    queued = mail_enqueue(to="ada@example.org", subject="Hello", body="A line.")
    with pytest.raises(OSError):
        mail_send(mail_id=queued.pk)
    queued.refresh_from_db()
    assert queued.sent_at is None and queued.attempts == 1 and queued.last_error
    assert queued.to == "ada@example.org"  # kept until it is sent
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    OutgoingMail.objects.filter(pk=queued.pk).update(created_at=queued.created_at.replace(year=2020))
    assert mail_send_waiting() == 1  # the sweep gives it a new job
    assert mail_send(mail_id=queued.pk) is True
    assert len(mail.outbox) == 1
