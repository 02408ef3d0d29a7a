"""The conversation on an engagement (tenants.conversations, shown on /c/<code>/engagement/…): who
reads and who writes, refusals that change nothing, attachments through the evidence rules, read
state and notices, the record (a digest, never the text), the compliance pack, the API, and a
constant number of queries however long the conversation."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from portal.reports.sections import Period, sections_read
from tenants.access import access_for
from tenants.conversations import services
from tenants.conversations.models import Conversation, Message, MessageAttachment
from tenants.files import file_exists
from tenants.isolation import country_context
from tenants.notifications.models import Notification
from tenants.notifications.selectors import unread_count
from tenants.record.models import CountryEvent

from .test_services import engagement_in, ke_partner

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00"


def as_user(client, user):
    client.force_login(user)
    return client


def page(engagement) -> str:
    return f"/c/fr/engagement/{engagement.pk}/"


def post_url(engagement) -> str:
    return f"/c/fr/engagement/{engagement.pk}/messages/"


def messages_of(country) -> list[Message]:
    with country_context(country):
        return list(Message.objects.filter(country=country).order_by("id"))


def write(client, engagement, text, **extra):
    return client.post(post_url(engagement), {"text": text, **extra})


@pytest.fixture
def engagement(cast):
    return engagement_in(cast, "submitted")


# --- Who reads, who writes ------------------------------------------------------------------------


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
def test_each_visitor_reads_and_writes_as_their_role_allows(client, cast, engagement, who, reads, writes):
    user = getattr(cast, who)
    as_user(client, user)
    response = write(client, engagement, f"A question from {who}.")
    assert response.status_code == writes
    assert len(messages_of(cast.fr)) == (1 if writes == 302 else 0)
    response = client.get(page(engagement))
    assert response.status_code == reads
    if reads == 200:
        body = response.content.decode()
        assert 'id="conversation"' in body
        assert ("Send message" in body) == (writes == 302)
        if writes == 302:
            assert f"A question from {who}." in body


def test_anonymous_visitors_are_sent_to_sign_in(client, cast, engagement):
    for response in (client.get(page(engagement)), write(client, engagement, "Hello")):
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/?next=")
    assert messages_of(cast.fr) == []


def test_a_partner_manager_of_another_country_gets_404(client, cast, engagement):
    as_user(client, ke_partner(cast))
    assert client.get(page(engagement)).status_code == 404
    assert write(client, engagement, "Hello").status_code == 404
    assert messages_of(cast.fr) == []


def test_another_countrys_engagement_under_frances_address_is_404(client, cast):
    kenyan = engagement_in(cast, "draft", country=cast.ke, admin=cast.outsider)
    as_user(client, cast.owner)
    assert client.post(f"/c/fr/engagement/{kenyan.pk}/messages/", {"text": "Hi"}).status_code == 404
    assert client.get(f"/c/fr/engagement/{kenyan.pk}/").status_code == 404
    with country_context(cast.ke):
        assert not Message.objects.exists()


def test_messages_show_oldest_first_with_name_role_and_local_time(client, cast, engagement):
    from tenants.languages.models import Preferences

    as_user(client, cast.owner)
    write(client, engagement, "First, from the ministry.")
    as_user(client, cast.partner)
    write(client, engagement, "Second, from the partner.")
    Preferences.objects.filter(user=cast.member).update(time_zone="Asia/Tokyo")
    body = as_user(client, cast.member).get(page(engagement)).content.decode()
    assert body.index("First, from the ministry.") < body.index("Second, from the partner.")
    assert "Olga Owner" in body and "Country admin" in body
    assert "Paula Partner" in body and "Partner manager" in body
    first = messages_of(cast.fr)[0]
    tokyo = first.created_at.astimezone(dt.timezone(dt.timedelta(hours=9)))
    assert tokyo.strftime("%H:%M") in body


# --- Refusals -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text,error",
    [
        ("", "Write your message before sending it."),
        ("   \n ", "Write your message before sending it."),
        ("x" * 4001, "Your message has 4001 characters; a message can have at most 4000."),
    ],
)
def test_an_empty_or_too_long_message_is_refused_with_what_to_do(client, cast, engagement, text, error):
    response = write(as_user(client, cast.owner), engagement, text)
    assert response.status_code == 400
    body = response.content.decode()
    assert error in body and "There is a problem" in body
    assert messages_of(cast.fr) == []
    with country_context(cast.fr):
        assert not Conversation.objects.exists()
        assert not CountryEvent.objects.filter(action="conversation.message_posted").exists()


def test_the_service_refuses_the_same_whatever_the_door(cast, engagement):
    from engagements.selectors import conversation_subject
    from tenants.errors import NotAllowed, ServiceError

    subject = conversation_subject(engagement=engagement)
    with pytest.raises(ServiceError, match="at most 4000"):
        services.message_post(subject=subject, by=cast.owner, access=access_for(cast.owner), text="y" * 4001)
    with pytest.raises(ServiceError, match="NUL"):
        services.message_post(subject=subject, by=cast.owner, access=access_for(cast.owner), text="a\x00b")
    with pytest.raises(NotAllowed):
        services.message_post(subject=subject, by=cast.viewer, access=access_for(cast.viewer), text="Hi")
    assert messages_of(cast.fr) == []


# --- Attachments ----------------------------------------------------------------------------------


def test_an_attachment_is_stored_sealed_and_read_back_behind_the_same_check(client, cast, engagement):
    from django.core.files.uploadedfile import SimpleUploadedFile

    as_user(client, cast.owner)
    response = write(client, engagement, "The signed letter.", file=SimpleUploadedFile("letter.pdf", PDF))
    assert response.status_code == 302
    with country_context(cast.fr):
        attachment = MessageAttachment.objects.get()
    assert attachment.kind == "pdf" and attachment.sha256 == hashlib.sha256(PDF).hexdigest()
    assert file_exists(attachment.path)
    from tenants.files import storage

    with storage().open(attachment.path) as stored:
        assert PDF not in stored.read()  # sealed at rest
    url = f"/c/fr/engagement/{engagement.pk}/messages/attachments/{attachment.pk}/"
    assert url in as_user(client, cast.partner).get(page(engagement)).content.decode()
    for who, expected in [("owner", 200), ("viewer", 200), ("partner", 200), ("auditor", 200), ("outsider", 404)]:
        response = as_user(client, getattr(cast, who)).get(url)
        assert response.status_code == expected, who
        if expected == 200:
            assert response.content == PDF and response["Content-Type"] == "application/pdf"
            assert response["X-Content-Type-Options"] == "nosniff"
    client.logout()
    assert client.get(url).status_code == 302
    # Under another engagement of the same country, the attachment is not found.
    other = engagement_in(cast, "draft", country=cast.ke, admin=cast.outsider)
    assert (
        as_user(client, cast.outsider)
        .get(f"/c/ke/engagement/{other.pk}/messages/attachments/{attachment.pk}/")
        .status_code
        == 404
    )


@pytest.mark.parametrize(
    "name,data,error",
    [
        ("tool.pdf", EXE, "content is not an accepted type"),
        ("empty.txt", b"", "The file is empty. Choose the file again."),
    ],
)
def test_a_refused_attachment_stores_nothing_and_keeps_nothing(client, cast, engagement, name, data, error):
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = write(as_user(client, cast.owner), engagement, "See attached.", file=SimpleUploadedFile(name, data))
    assert response.status_code == 400 and error in response.content.decode()
    assert messages_of(cast.fr) == []
    with country_context(cast.fr):
        assert not MessageAttachment.objects.exists()


def test_an_attachment_over_the_limit_is_refused(client, cast, engagement, settings):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.EVIDENCE_MAX_BYTES = 1024 * 1024
    big = b"%PDF-1.4\n" + b"0" * (1024 * 1024)
    response = write(as_user(client, cast.owner), engagement, "Big file.", file=SimpleUploadedFile("big.pdf", big))
    assert response.status_code == 400 and "larger than 1 MB" in response.content.decode()
    assert messages_of(cast.fr) == []


# --- Read state and notices -----------------------------------------------------------------------


def test_a_country_message_is_new_to_the_partner_until_they_open_it(client, cast, engagement):
    as_user(client, cast.member)
    write(client, engagement, "Could you look at the quota?")
    partner = access_for(cast.partner)
    notices_before = unread_count(user=cast.partner, access=partner)
    with country_context(cast.fr):
        notice = Notification.objects.get(user=cast.partner, url__endswith="#conversation")
    assert notice.url == f"{page(engagement)}#conversation" and "new message" in notice.subject
    assert "quota" not in notice.subject + notice.body  # the text stays in the portal
    body = as_user(client, cast.partner).get(page(engagement)).content.decode()
    assert "1 new message" in body
    assert unread_count(user=cast.partner, access=partner) == notices_before - 1
    assert "new message" not in client.get(page(engagement)).content.decode()
    # The writer's own message is never new to them.
    assert "new message" not in as_user(client, cast.member).get(page(engagement)).content.decode()


def writes_of(client, url) -> list[str]:
    """The statements of one GET of `url` that change rows; with no savepoint but the request's own
    (its transaction, a savepoint inside the test's)."""
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    statements = [q["sql"] for q in captured.captured_queries]
    assert len([sql for sql in statements if sql.startswith("SAVEPOINT")]) == 1, statements
    return [sql for sql in statements if sql.startswith(("INSERT", "UPDATE"))]


def test_opening_the_conversation_writes_only_what_is_new_and_never_in_a_savepoint_of_its_own(client, cast, engagement):
    as_user(client, cast.member)
    write(client, engagement, "Could you look at the quota?")
    as_user(client, cast.partner)
    first = writes_of(client, page(engagement))
    # The first opening: a read mark made, and the notice of the message marked read.
    assert [sql.split(" ")[:3] for sql in first] == [
        ["INSERT", "INTO", '"tenants_conversationread"'],
        ["UPDATE", '"tenants_notification"', "SET"],
    ], first
    assert writes_of(client, page(engagement)) == []  # nothing new since: nothing written
    as_user(client, cast.member)
    write(client, engagement, "And the residency region?")
    as_user(client, cast.partner)
    again = writes_of(client, page(engagement))
    assert [sql.split(" ")[:2] for sql in again] == [
        ["UPDATE", '"tenants_conversationread"'],
        ["UPDATE", '"tenants_notification"'],
    ]


def test_a_read_mark_never_goes_back(cast, engagement):
    from engagements.selectors import conversation_subject
    from tenants.conversations.models import ConversationRead
    from tenants.conversations.selectors import conversation_for_reader

    subject = conversation_subject(engagement=engagement)
    for text in ("One.", "Two."):
        services.message_post(subject=subject, by=cast.member, access=access_for(cast.member), text=text)
    first, second = messages_of(cast.fr)
    with country_context(cast.fr):
        conversation = Conversation.objects.get()
    services.conversation_mark_read(subject=subject, conversation=conversation, user=cast.partner, upto=second.pk)
    # A page read before the second message came (an older tab) marks read up to the first only.
    services.conversation_mark_read(subject=subject, conversation=conversation, user=cast.partner, upto=first.pk)
    with country_context(cast.fr):
        stale = conversation_for_reader(subject=subject, user=cast.partner)
        stale.read_up_to = first.pk - 1  # what that older page had read
        services.conversation_mark_read(subject=subject, conversation=stale, user=cast.partner, upto=first.pk)
        assert ConversationRead.objects.get(user=cast.partner).last_read_id == second.pk


def test_a_partner_message_tells_the_country_admins_and_a_country_message_the_partner_managers(cast, engagement):
    from engagements.selectors import conversation_subject

    subject = conversation_subject(engagement=engagement)
    other_partner = ke_partner(cast)
    services.message_post(subject=subject, by=cast.partner, access=access_for(cast.partner), text="Please confirm.")
    services.message_post(subject=subject, by=cast.member, access=access_for(cast.member), text="Confirmed.")
    with country_context([cast.fr, cast.ke]):
        told = set(Notification.objects.filter(url__endswith="#conversation").values_list("user__username", flat=True))
        from tenants.notifications.models import OutgoingMail

        mails = set(OutgoingMail.objects.filter(subject__contains="new message").values_list("to", flat=True))
    assert told == {"owner", "partner"}
    assert other_partner.username not in told
    assert mails == {"owner@example.org", "partner@example.org"}


# --- On the record --------------------------------------------------------------------------------


def test_each_message_is_an_event_with_its_digest_and_never_its_text(cast, engagement):
    from engagements.selectors import conversation_subject

    text = "Olga's mobile is +33 6 12 34 56 78, call her."
    message = services.message_post(
        subject=conversation_subject(engagement=engagement), by=cast.owner, access=access_for(cast.owner), text=text
    )
    with country_context(cast.fr):
        event = CountryEvent.objects.get(action="conversation.message_posted")
        key = Conversation.objects.get(pk=message.conversation_id).digest_key
        stored = Message.objects.get(pk=message.pk)
    keyed = hmac.new(bytes.fromhex(key), text.encode(), hashlib.sha256).hexdigest()
    assert event.payload == {
        "message": message.pk,
        "subject": "engagement",
        "subject_id": engagement.pk,
        "hmac": keyed,
        "attachments_hmac": [],
    }
    # Keyed: a plain hash of a short text gives it away to whoever guesses it, even once it is shredded.
    assert hashlib.sha256(text.encode()).hexdigest() not in json.dumps(event.payload)
    assert (stored.digest, stored.sha256) == (keyed, "")
    assert event.target_type == "tenants.message" and event.target_id == str(message.pk)
    flat = json.dumps(event.payload)
    assert "+33" not in flat and "Olga" not in flat and "mobile" not in flat
    with country_context(cast.fr), connection.cursor() as cursor:  # the text is sealed in its column too
        cursor.execute("SELECT body FROM tenants_message WHERE id = %s", [message.pk])
        stored = cursor.fetchone()[0]
    assert stored and "+33" not in stored


def test_a_conversation_begun_before_keyed_digests_gets_its_key_and_keeps_the_old_record(cast, engagement):
    from engagements.selectors import conversation_subject

    subject = conversation_subject(engagement=engagement)
    first = services.message_post(subject=subject, by=cast.owner, access=access_for(cast.owner), text="Yes")
    # As a conversation written before the upgrade holds it: no key, its message's plain SHA-256.
    old_digest = hashlib.sha256(b"Yes").hexdigest()
    with country_context(cast.fr):
        Conversation.objects.filter(pk=first.conversation_id).update(digest_key="")
        Message.objects.filter(pk=first.pk).update(sha256=old_digest, digest="")
    second = services.message_post(subject=subject, by=cast.partner, access=access_for(cast.partner), text="Yes")
    with country_context(cast.fr):
        key = Conversation.objects.get(pk=first.conversation_id).digest_key
        events = {e.target_id: e.payload for e in CountryEvent.objects.filter(action="conversation.message_posted")}
        rows = {m.pk: (m.sha256, m.digest) for m in Message.objects.filter(conversation_id=first.conversation_id)}
    assert len(key) == 64
    keyed = hmac.new(bytes.fromhex(key), b"Yes", hashlib.sha256).hexdigest()
    assert events[str(second.pk)]["hmac"] == keyed != old_digest
    assert rows == {first.pk: (old_digest, ""), second.pk: ("", keyed)}


def test_the_compliance_pack_lists_the_messages_without_their_text(cast, engagement):
    from engagements.selectors import conversation_subject

    subject = conversation_subject(engagement=engagement)
    first = services.message_post(subject=subject, by=cast.owner, access=access_for(cast.owner), text="Secret A")
    second = services.message_post(subject=subject, by=cast.partner, access=access_for(cast.partner), text="B")
    today = dt.date.today()
    found, _absent = sections_read(country=cast.fr, period=Period(today - dt.timedelta(days=1), today))
    section = next(s for s in found if s.name == "conversations")
    assert [row[0] for row in section.rows] == [first.pk, second.pk]
    assert section.rows[0][1:3] == ["engagement", engagement.pk]
    with country_context(cast.fr):
        key = bytes.fromhex(Conversation.objects.get(pk=first.conversation_id).digest_key)
    assert section.rows[1][5] == "partner_manager"
    assert section.rows[0][6:8] == ["", hmac.new(key, b"Secret A", hashlib.sha256).hexdigest()]
    assert "Secret A" not in json.dumps(section.rows, default=str)
    assert hashlib.sha256(b"B").hexdigest() not in json.dumps(section.rows, default=str)


# --- API ------------------------------------------------------------------------------------------


def test_the_api_reads_writes_and_marks_read(client, cast, engagement):
    base = f"/api/v1/countries/FR/engagements/{engagement.pk}/messages/"
    as_user(client, cast.member)
    created = client.post(base, {"text": "Through the API."}, content_type="application/json")
    assert created.status_code == 201 and created.json()["text"] == "Through the API."
    refused = client.post(base, {"text": ""}, content_type="application/json")
    assert refused.status_code == 400 and "Write your message" in json.dumps(refused.json())
    as_user(client, cast.partner)
    listed = client.get(base).json()["results"]
    assert [m["text"] for m in listed] == ["Through the API."] and listed[0]["new"] is True
    assert listed[0]["author_role"] == "officer"
    assert client.post(f"{base}read/").json() == {"unread": 0}
    assert client.get(base).json()["results"][0]["new"] is False
    as_user(client, cast.auditor)
    assert client.get(base).status_code == 200
    assert client.post(base, {"text": "x"}, content_type="application/json").status_code == 403
    as_user(client, cast.outsider)
    assert client.get(base).status_code == 404
    client.logout()
    assert client.get(base).status_code == 401
    assert len(messages_of(cast.fr)) == 1


# --- Queries --------------------------------------------------------------------------------------


def test_the_page_costs_the_same_queries_however_many_messages(client, cast, engagement):
    from django.core.files.uploadedfile import SimpleUploadedFile

    as_user(client, cast.owner)
    write(client, engagement, "One", file=SimpleUploadedFile("a.pdf", PDF))
    as_user(client, cast.partner)
    client.get(page(engagement))
    with CaptureQueriesContext(connection) as few:
        assert client.get(page(engagement)).status_code == 200
    as_user(client, cast.owner)
    for n in range(6):
        write(client, engagement, f"More {n}", file=SimpleUploadedFile(f"{n}.txt", b"notes"))
    as_user(client, cast.partner)
    client.get(page(engagement))
    with CaptureQueriesContext(connection) as many:
        assert client.get(page(engagement)).status_code == 200
    assert len(many) == len(few)


def test_the_api_takes_an_attachment_by_the_evidence_rules(client, cast, engagement):
    from django.core.files.uploadedfile import SimpleUploadedFile

    base = f"/api/v1/countries/FR/engagements/{engagement.pk}/messages/"
    as_user(client, cast.partner)
    refused = client.post(base, {"text": "A tool.", "file": SimpleUploadedFile("tool.pdf", EXE)})
    assert refused.status_code == 400 and "not an accepted type" in json.dumps(refused.json())
    assert messages_of(cast.fr) == []
    created = client.post(base, {"text": "The minutes.", "file": SimpleUploadedFile("minutes.pdf", PDF)})
    assert created.status_code == 201
    attachment = created.json()["attachments"][0]
    assert attachment["name"] == "minutes.pdf" and attachment["sha256"] == hashlib.sha256(PDF).hexdigest()
    download = f"{base}attachments/{attachment['id']}/"
    as_user(client, cast.viewer)
    response = client.get(download)
    assert response.status_code == 200 and response.content == PDF
    as_user(client, cast.outsider)
    assert client.get(download).status_code == 404


def test_the_same_file_attached_twice_keeps_both_readable(client, cast, engagement):
    """A file is sealed to its own message's attachment: the same bytes posted again (the partner
    manager re-posting the country's file) are stored apart and never replace the first."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    as_user(client, cast.owner)
    assert write(client, engagement, "The letter.", file=SimpleUploadedFile("letter.pdf", PDF)).status_code == 302
    base = f"/api/v1/countries/FR/engagements/{engagement.pk}/messages/"
    as_user(client, cast.partner)
    again = client.post(base, {"text": "The same letter.", "file": SimpleUploadedFile("copy.pdf", PDF)})
    assert again.status_code == 201
    with country_context(cast.fr):
        first, second = MessageAttachment.objects.order_by("id")
    as_user(client, cast.viewer)
    for attachment in (first, second):
        page_url = f"/c/fr/engagement/{engagement.pk}/messages/attachments/{attachment.pk}/"
        for url in (page_url, f"{base}attachments/{attachment.pk}/"):
            response = client.get(url)
            assert response.status_code == 200 and response.content == PDF, url
    assert first.path != second.path
    assert hashlib.sha256(PDF).hexdigest() not in first.path + second.path  # named by the row, not the bytes
