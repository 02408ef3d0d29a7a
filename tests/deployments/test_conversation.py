"""The conversation on a deployment request (/c/<code>/deployments/<pk>/): who reads and writes,
a partner manager's message told to the requester, a country message to the partner managers,
refusals, and the notices' mail delivered by the suite's real worker through the outbox."""

from __future__ import annotations

import pytest

from deployments import selectors
from tenants.access import access_for
from tenants.conversations import services as conversation_services
from tenants.conversations.models import Message
from tenants.isolation import country_context
from tenants.notifications.models import Notification, OutgoingMail
from tests.conftest import wait_for
from tests.deployments.conftest import draft


def as_user(client, user):
    client.force_login(user)
    return client


def messages_of(cast) -> list[str]:
    with country_context(cast.fr):
        return [m.body for m in Message.objects.filter(country=cast.fr).order_by("id")]


def told(cast) -> set[str]:
    with country_context(cast.fr):
        return set(Notification.objects.filter(url__endswith="#conversation").values_list("user__username", flat=True))


@pytest.mark.django_db
@pytest.mark.parametrize(
    "who,reads,writes",
    [
        ("owner", 200, 302),
        ("member", 200, 302),
        ("viewer", 200, 403),
        ("partner", 200, 302),
        ("auditor", 200, 403),
        ("outsider", 404, 404),
    ],
)
def test_each_visitor_reads_and_writes_as_their_role_allows(client, cast, ready, who, reads, writes):
    item = draft(cast, ready)
    as_user(client, getattr(cast, who))
    response = client.post(f"/c/fr/deployments/{item.pk}/messages/", {"text": f"Note from {who}."})
    assert response.status_code == writes
    if writes == 302:
        assert response["Location"] == f"/c/fr/deployments/{item.pk}/#conversation"
    assert messages_of(cast) == ([f"Note from {who}."] if writes == 302 else [])
    response = client.get(f"/c/fr/deployments/{item.pk}/")
    assert response.status_code == reads
    if reads == 200 and writes == 302:
        assert f"Note from {who}." in response.content.decode()


@pytest.mark.django_db
def test_anonymous_visitors_are_sent_to_sign_in_and_other_countries_get_404(client, cast, ready):
    item = draft(cast, ready)
    response = client.post(f"/c/fr/deployments/{item.pk}/messages/", {"text": "Hi"})
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    as_user(client, cast.outsider)
    assert client.post(f"/c/ke/deployments/{item.pk}/messages/", {"text": "Hi"}).status_code == 404
    assert messages_of(cast) == []


@pytest.mark.django_db
def test_an_empty_message_is_refused_on_the_request_page(client, cast, ready):
    item = draft(cast, ready)
    response = as_user(client, cast.member).post(f"/c/fr/deployments/{item.pk}/messages/", {"text": " "})
    assert response.status_code == 400
    body = response.content.decode()
    assert "Write your message before sending it." in body and "<title>Error:" in body
    assert item.title in body  # the request's page, shown again
    assert messages_of(cast) == []


@pytest.mark.django_db
def test_the_partner_tells_the_requester_and_the_requester_the_partner(client, cast, ready):
    item = draft(cast, ready)  # requested by the officer (cast.member)
    subject = selectors.conversation_subject(request=item)
    conversation_services.message_post(
        subject=subject, by=cast.partner, access=access_for(cast.partner), text="Which data will it read?"
    )
    assert told(cast) == {"member"}
    conversation_services.message_post(
        subject=subject, by=cast.member, access=access_for(cast.member), text="Public forms only."
    )
    assert told(cast) == {"member", "partner"}
    body = as_user(client, cast.partner).get(f"/c/fr/deployments/{item.pk}/").content.decode()
    assert "1 new message" in body and "Public forms only." in body
    assert body.index("Which data will it read?") < body.index("Public forms only.")


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_the_notice_mail_is_sent_by_the_worker_after_the_commit(celery_worker_process, cast, ready):
    from django.db import transaction

    item = draft(cast, ready)
    with transaction.atomic():
        conversation_services.message_post(
            subject=selectors.conversation_subject(request=item),
            by=cast.member,
            access=access_for(cast.member),
            text="Ready for your review.",
        )
        waiting = list(
            OutgoingMail.objects.filter(to="partner@example.org", sent_at__isnull=True).values_list("pk", flat=True)
        )
    assert len(waiting) == 1
    sent = wait_for(lambda: OutgoingMail.objects.filter(pk=waiting[0], sent_at__isnull=False).first(), timeout=30)
    assert sent.attempts >= 1 and sent.to == ""  # delivered, then the address and text wiped
    with country_context(cast.fr):
        assert Notification.objects.filter(user=cast.partner, url__endswith="#conversation").count() == 1


@pytest.mark.django_db
def test_the_request_page_costs_the_same_queries_however_many_messages(client, cast, ready):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    item = draft(cast, ready)
    subject = selectors.conversation_subject(request=item)

    def say(n):
        for i in range(n):
            conversation_services.message_post(
                subject=subject,
                by=cast.member,
                access=access_for(cast.member),
                text=f"Note {i}",
                attachment_name=f"{i}.txt",
                attachment_data=b"notes",
            )

    say(1)
    as_user(client, cast.partner).get(f"/c/fr/deployments/{item.pk}/")
    with CaptureQueriesContext(connection) as few:
        client.get(f"/c/fr/deployments/{item.pk}/")
    say(6)
    client.get(f"/c/fr/deployments/{item.pk}/")
    with CaptureQueriesContext(connection) as many:
        client.get(f"/c/fr/deployments/{item.pk}/")
    assert len(many) == len(few)
