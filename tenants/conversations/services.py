"""Writes of a conversation: posting a message (with an optional attachment, checked by the upload
rules and stored through the file room), and marking a conversation read for one person.

Who may do what: every person who can see the country reads; its country admins and officers, and
its assigned partner managers, post; viewers and auditors read only. A message is on the record as
an event holding its id and the HMAC-SHA256 of its text, and of each attached file, under its
conversation's digest key (sealed under the country's key, destroyed with it), never the text nor a
plain hash of it, which would give a short text away to anyone who guesses it (and a file to anyone
who holds a copy). The other side is told in the
portal and by mail (through the outbox, once the transaction commits)."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tenants import files, uploads
from tenants.access import PARTNER_MANAGER, Access
from tenants.conversations.models import MESSAGE_MAX_LENGTH, Conversation, ConversationRead, Message, MessageAttachment
from tenants.conversations.subjects import Subject, notice_url
from tenants.errors import NotAllowed, ServiceError
from tenants.inputs import text_problem
from tenants.isolation import country_context, joined_context
from tenants.models import Membership
from tenants.notifications import services as inbox
from tenants.notifications.models import Notification
from tenants.record.ledger import event_record

WRITERS = {Membership.Role.COUNTRY_ADMIN, Membership.Role.OFFICER, PARTNER_MANAGER}

SUBJECTS = {
    Conversation.Subject.ENGAGEMENT: gettext_lazy("{country}: new message on the engagement"),
    Conversation.Subject.DEPLOYMENT_REQUEST: gettext_lazy("{country}: new message on “{title}”"),
}
BODIES = {
    (True, Conversation.Subject.ENGAGEMENT): gettext_lazy(
        "A partner manager wrote on the engagement of {country}. Read it and answer on the engagement page."
    ),
    (False, Conversation.Subject.ENGAGEMENT): gettext_lazy(
        "The people of {country} wrote on their engagement. Read it and answer on the engagement page."
    ),
    (True, Conversation.Subject.DEPLOYMENT_REQUEST): gettext_lazy(
        "A partner manager wrote on the deployment request “{title}” of {country}. Read it and answer on the request's page."
    ),
    (False, Conversation.Subject.DEPLOYMENT_REQUEST): gettext_lazy(
        "The people of {country} wrote on the deployment request “{title}”. Read it and answer on the request's page."
    ),
}


def can_post(*, access: Access, country_id: int) -> bool:
    return not access.read_only and access.role_in(country_id) in WRITERS


def text_check(text: str) -> str:
    """The message as it will be stored, or a ServiceError (field "text") saying what to change."""
    text = (text or "").strip()
    if not text:
        raise ServiceError(_("Write your message before sending it."), field="text")
    if len(text) > MESSAGE_MAX_LENGTH:
        raise ServiceError(
            _(
                "Your message has {length} characters; a message can have at most {limit}. Shorten it, or attach the rest as a file."
            ).format(length=len(text), limit=MESSAGE_MAX_LENGTH),
            field="text",
        )
    problem = text_problem(text)
    if problem:
        raise ServiceError(problem, field="text")
    return text


@transaction.atomic
def message_post(
    *, subject: Subject, by, access: Access, text: str, attachment_name: str = "", attachment_data: bytes | None = None
) -> Message:
    """Add a message to the subject's conversation (made at the first message). A refused message
    (empty, too long, a file the upload rules refuse) changes nothing and stores nothing."""
    country = subject.country
    if not can_post(access=access, country_id=country.pk):
        raise NotAllowed(
            _("Only the country's admins and officers and its partner managers can write in this conversation.")
        )
    role = access.role_in(country.pk) or ""
    text = text_check(text)
    checked = None
    if attachment_data is not None:
        checked = uploads.upload_check(name=attachment_name, data=attachment_data, default_name="attachment")
    with country_context(country):
        conversation, _created = Conversation.objects.get_or_create(
            country=country, subject=subject.kind, subject_id=subject.pk, defaults={"digest_key": secrets.token_hex(32)}
        )
        conversation = _with_digest_key(conversation)
        digest = message_digest(conversation=conversation, text=text)
        message = Message.objects.create(
            country=country, conversation=conversation, author=by, author_role=role, body=text, digest=digest
        )
        stored = None
        if checked is not None:
            stored = MessageAttachment.objects.create(
                country=country,
                message=message,
                name=checked.name,
                kind=checked.kind,
                size=checked.size,
                sha256=checked.sha256,
            )
            # Named after its own row, never after its content: two messages with the same file each
            # keep theirs (a file is sealed to one row), and the name says nothing about the bytes.
            stored.path = f"conversations/{country.code}/{conversation.pk}/{stored.pk}"
        # One's own message is read.
        _read_up_to(conversation=conversation, user=by, last_id=message.pk)
        event_record(
            country=country,
            action="conversation.message_posted",
            actor=by,
            actor_role=role,
            target=message,
            payload={
                "message": message.pk,
                "subject": subject.kind,
                "subject_id": subject.pk,
                "hmac": digest,
                # Keyed as the text is: a plain SHA-256 of a file names it to whoever holds a copy.
                "attachments_hmac": [attachment_digest(conversation=conversation, data=attachment_data)]
                if checked is not None and attachment_data is not None
                else [],
            },
        )
        _tell_the_other_side(subject=subject, by=by, from_partner=role == PARTNER_MANAGER)
        if stored is not None:
            # Written last, once every check and record above has passed (as evidence is).
            # Never over another file: should the name be taken, storage picks a free one beside it.
            path, _sealed, _digest = files.file_save(row=stored, name=stored.path, content=attachment_data)
            MessageAttachment.objects.filter(pk=stored.pk).update(path=path)
            stored.path = path
    return message


def message_digest(*, conversation: Conversation, text: str) -> str:
    """The HMAC-SHA256 of a message's text under its conversation's digest key: what the record and
    the message's `digest` hold. Whoever holds the key (the portal, and the country in its export)
    can check a text against the record; nobody else can guess a text from it."""
    return hmac.new(bytes.fromhex(conversation.digest_key), text.encode("utf-8"), hashlib.sha256).hexdigest()


def attachment_digest(*, conversation: Conversation, data: bytes) -> str:
    """The HMAC-SHA256 of an attached file's bytes under its conversation's digest key: what the
    message's event holds for it, checked against the file by the offline verifier of the
    country's export."""
    return hmac.new(bytes.fromhex(conversation.digest_key), data, hashlib.sha256).hexdigest()


def _with_digest_key(conversation: Conversation) -> Conversation:
    """The conversation with its digest key: one made before there were keys gets one, once (its
    row locked, so that two first messages cannot each key their digest with a key of their own)."""
    if conversation.digest_key:
        return conversation
    conversation = Conversation.objects.select_for_update().get(pk=conversation.pk)
    if not conversation.digest_key:
        conversation.digest_key = secrets.token_hex(32)
        conversation.save(update_fields=["digest_key"])
    return conversation


def _tell_the_other_side(*, subject: Subject, by, from_partner: bool) -> None:
    country = subject.country
    if from_partner:
        if subject.country_people is None:
            people = inbox.country_admins_of(country)
        else:
            with country_context(country):
                active = Membership.objects.filter(
                    country=country, user_id__in=subject.country_people, status=Membership.Status.ACTIVE
                ).values_list("user_id", flat=True)
                ids = list(active)
            people = get_user_model().objects.filter(pk__in=ids, is_active=True)
    else:
        people = inbox.partner_managers_of(country)
    inbox.notify(
        users=people.exclude(pk=by.pk),
        country=country,
        url=notice_url(subject),
        subject=format_lazy(SUBJECTS[subject.kind], country=country.display_name, title=subject.title),
        body=format_lazy(BODIES[(from_partner, subject.kind)], country=country.display_name, title=subject.title),
    )


UNKNOWN = object()  # what a caller that did not read the person's read mark passes


def _read_up_to(*, conversation: Conversation, user, last_id: int, marked=UNKNOWN) -> None:
    """Move the person's read mark up to `last_id`, never down: one statement when the caller read
    the mark (`marked`: its value, or None when there is none), at most two otherwise."""
    now = timezone.now()
    if marked is not None:
        moved = ConversationRead.objects.filter(
            country_id=conversation.country_id, conversation=conversation, user=user, last_read_id__lt=last_id
        ).update(last_read_id=last_id, read_at=now)
        if moved or marked is not UNKNOWN:
            return
    # No mark yet (or one already this far): a first one, unless another request has just made it.
    ConversationRead.objects.bulk_create(
        [
            ConversationRead(
                country_id=conversation.country_id,
                conversation=conversation,
                user=user,
                last_read_id=last_id,
                read_at=now,
            )
        ],
        ignore_conflicts=True,
    )


def conversation_mark_read(
    *, subject: Subject, conversation: Conversation | None, user, upto: int | None = None
) -> None:
    """The person has opened the conversation: every message so far is read (up to `upto`, the
    newest they were shown, when the page knows it; 0 when none was new to them), and so are their
    notices about its page. A conversation read by selectors.conversation_for_reader knows the
    person's read mark and whether notices wait for them: then only what is not so already is
    written. In the caller's transaction when it holds the country already (each write is one
    statement), else in the country's context."""
    with joined_context(subject.country):
        if conversation is not None:
            last = upto
            if last is None:
                last = Message.objects.filter(country=subject.country, conversation=conversation).aggregate(
                    last=Max("id")
                )["last"]
            if last:
                _read_up_to(
                    conversation=conversation,
                    user=user,
                    last_id=last,
                    marked=getattr(conversation, "read_up_to", UNKNOWN),
                )
        if getattr(conversation, "notices_unread", True):
            Notification.objects.filter(
                country=subject.country, user=user, url=notice_url(subject), read_at__isnull=True
            ).update(read_at=timezone.now())
