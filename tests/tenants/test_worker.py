"""The Celery path, end to end with a real worker process (conftest.celery_worker_process) on the
suite's own queue, connected to the test database as the runtime role: a committed invitation is
sent by the worker; task messages carry ids only; a task opens only the country it is given."""

from __future__ import annotations

import os
import socket
from datetime import timedelta

import pytest
from celery.signals import before_task_publish
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from tenants import services, tasks
from tenants.access import access_for
from tenants.isolation import country_context
from tenants.models import Invitation, Membership
from tests.conftest import wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

WORKER = f"test-worker-{os.getpid()}@{socket.gethostname()}"


def sent_at(invitation_id: int, country):
    """When the worker marked the invitation sent, read as the portal reads it: in its country."""
    with country_context(country):
        return Invitation.objects.filter(pk=invitation_id).values_list("sent_at", flat=True).first()


class Published:
    """Every task message this process publishes while active (celery's before_task_publish)."""

    def __init__(self):
        self.messages: list[dict] = []

    def __call__(self, sender=None, body=None, headers=None, routing_key=None, **_):
        self.messages.append({"task": sender, "body": body, "headers": headers, "routing_key": routing_key})

    def __enter__(self):
        before_task_publish.connect(self, weak=False)
        return self

    def __exit__(self, *exc):
        before_task_publish.disconnect(self)


def quiet_invitation(cast, username: str) -> Invitation:
    """An FR invitation written directly, so that nothing sends it until a test says so."""
    guest = get_user_model().objects.create(
        username=username, email=f"{username}@example.org", is_active=False, first_name="Gus", last_name="Guest"
    )
    with country_context(cast.fr):
        membership = Membership.objects.create(
            country=cast.fr, user=guest, organisation=cast.fr_agency, role="viewer", status="invited"
        )
        return Invitation.objects.create(
            country=cast.fr,
            membership=membership,
            nonce=os.urandom(16).hex(),
            expires_at=timezone.now() + timedelta(days=7),
        )


def test_the_worker_answers_ping(celery_worker_process):
    from portal.celery import app

    replies = app.control.ping(destination=[WORKER], timeout=5)
    assert replies == [{WORKER: {"ok": "pong"}}]


def test_a_committed_invitation_is_sent_by_the_worker(cast, celery_worker_process, settings):
    email = "nadia.newcomer@example.org"
    with Published() as published:
        with transaction.atomic():
            invited = services.member_invite(
                country=cast.fr,
                by=cast.owner,
                access=access_for(cast.owner),
                email=email,
                first_name="Nadia",
                last_name="Newcomer",
                organisation=cast.fr_agency,
                role="viewer",
            )
            assert published.messages == []  # nothing leaves before the invitation is committed
        assert len(published.messages) == 1  # on commit, exactly one task
    with country_context(cast.fr):
        invitation = Invitation.objects.get(membership_id=invited.pk)
    assert wait_for(lambda: sent_at(invitation.pk, cast.fr), timeout=30) >= invitation.created_at

    message = published.messages[0]
    assert message["task"] == "tenants.invitation_send"
    assert message["routing_key"] == settings.CELERY_TASK_DEFAULT_QUEUE
    args, kwargs, _ = message["body"]
    assert args == [] or args == ()
    assert kwargs == {"invitation_id": invitation.pk, "country_id": cast.fr.pk}
    wire = repr(message["body"]) + repr(message["headers"])
    for secret in (email, "Newcomer", invitation.nonce, services.invitation_token(invitation)):
        assert secret not in wire


def test_a_task_opens_only_the_country_it_is_given(cast, celery_worker_process):
    """An FR invitation named with KE's id is out of reach of the worker (which runs as the runtime
    role, in the context of the country it was given); with FR's id it is sent."""
    wrong, control = quiet_invitation(cast, "gus"), quiet_invitation(cast, "gil")
    tasks.invitation_send.delay(invitation_id=wrong.pk, country_id=cast.ke.pk)
    tasks.invitation_send.delay(invitation_id=control.pk, country_id=cast.fr.pk)
    # One solo worker takes the queue in order: once the second is done, the first was handled.
    wait_for(lambda: sent_at(control.pk, cast.fr), timeout=30)
    assert sent_at(wrong.pk, cast.fr) is None
    tasks.invitation_send.delay(invitation_id=wrong.pk, country_id=cast.fr.pk)
    wait_for(lambda: sent_at(wrong.pk, cast.fr), timeout=30)


def test_an_accepted_invitation_is_not_sent(cast, celery_worker_process):
    done, control = quiet_invitation(cast, "ada"), quiet_invitation(cast, "ava")
    with country_context(cast.fr):
        Invitation.objects.filter(pk=done.pk).update(accepted_at=timezone.now(), nonce="")
    tasks.invitation_send.delay(invitation_id=done.pk, country_id=cast.fr.pk)
    tasks.invitation_send.delay(invitation_id=control.pk, country_id=cast.fr.pk)
    wait_for(lambda: sent_at(control.pk, cast.fr), timeout=30)
    assert sent_at(done.pk, cast.fr) is None
