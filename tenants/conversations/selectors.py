"""Reads of a conversation: its messages oldest first (authors and attachments in two more queries,
whatever their number), how many a person has not read (of one conversation, or as an expression a
list of subjects annotates, so the list costs no query per row), and one attachment of it."""

from __future__ import annotations

from django.db.models import Count, Exists, IntegerField, OuterRef, Prefetch, QuerySet, Subquery
from django.db.models.functions import Coalesce

from tenants.conversations.models import Conversation, ConversationRead, Message, MessageAttachment
from tenants.conversations.subjects import Subject, notice_url
from tenants.isolation import reading_context
from tenants.notifications.models import Notification


def conversation_get(*, subject: Subject) -> Conversation | None:
    with reading_context(subject.country):
        return Conversation.objects.filter(country=subject.country, subject=subject.kind, subject_id=subject.pk).first()


def conversation_for_reader(*, subject: Subject, user) -> Conversation | None:
    """The subject's conversation as `user` opens it, in one query: with `read_up_to`, the last
    message they had read (None when they never opened it), and `notices_unread`, whether notices
    of its messages wait for them (services.conversation_mark_read then writes only what it must)."""
    with reading_context(subject.country):
        marks = ConversationRead.objects.filter(
            country_id=OuterRef("country_id"), conversation=OuterRef("pk"), user=user
        )
        notices = Notification.objects.filter(
            country_id=OuterRef("country_id"), user=user, url=notice_url(subject), read_at__isnull=True
        )
        return (
            Conversation.objects.filter(country=subject.country, subject=subject.kind, subject_id=subject.pk)
            .annotate(read_up_to=Subquery(marks.values("last_read_id")[:1]), notices_unread=Exists(notices))
            .order_by()
            .first()
        )


def message_queryset(*, conversation: Conversation | None, country) -> QuerySet[Message]:
    """The conversation's messages, oldest first, with their authors and attachments (evaluate it
    in the country's context: the pages and the API have one)."""
    if conversation is None:
        return Message.objects.filter(country=country).none()
    return (
        Message.objects.filter(country_id=conversation.country_id, conversation=conversation)
        .select_related("author")
        .prefetch_related(
            Prefetch("attachments", queryset=MessageAttachment.objects.filter(country_id=conversation.country_id))
        )
        .order_by("created_at", "id")
    )


def conversation_has_messages(*, subject: Subject) -> bool:
    """Whether the subject's conversation holds any message (each one is on the record)."""
    with reading_context(subject.country):
        return Message.objects.filter(
            country=subject.country, conversation__subject=subject.kind, conversation__subject_id=subject.pk
        ).exists()


def message_list(*, conversation: Conversation | None) -> list[Message]:
    if conversation is None:
        return []
    with reading_context(conversation.country_id):
        return list(message_queryset(conversation=conversation, country=conversation.country_id))


def last_read_id(*, conversation: Conversation | None, user) -> int:
    if conversation is None:
        return 0
    with reading_context(conversation.country_id):
        found = (
            ConversationRead.objects.filter(country_id=conversation.country_id, conversation=conversation, user=user)
            .values_list("last_read_id", flat=True)
            .first()
        )
    return found or 0


def unread_count(*, conversation: Conversation | None, user) -> int:
    """Messages of others this person has not yet seen."""
    if conversation is None:
        return 0
    seen = last_read_id(conversation=conversation, user=user)
    with reading_context(conversation.country_id):
        return (
            Message.objects.filter(country_id=conversation.country_id, conversation=conversation, id__gt=seen)
            .exclude(author=user)
            .count()
        )


def unread_count_expression(*, kind: str, user) -> Coalesce:
    """For a queryset of subjects of `kind` (engagements, deployment requests: rows with `pk` and
    `country_id`): how many messages of each one's conversation, written by others, this person has
    not read (past their read mark), as one correlated subquery; 0 when there is no conversation."""
    read_up_to = ConversationRead.objects.filter(
        country_id=OuterRef("country_id"), conversation=OuterRef("conversation"), user=user
    ).values("last_read_id")[:1]
    unread = (
        Message.objects.filter(
            country_id=OuterRef("country_id"),
            conversation__subject=kind,
            conversation__subject_id=OuterRef("pk"),
            id__gt=Coalesce(Subquery(read_up_to), 0),
        )
        .exclude(author=user)
        .order_by()
        .values("country_id")
        .annotate(n=Count("id"))
        .values("n")
    )
    return Coalesce(Subquery(unread, output_field=IntegerField()), 0)


def attachment_get(*, subject: Subject, pk: int) -> MessageAttachment | None:
    """An attachment of this subject's conversation (of another subject, or country: None)."""
    with reading_context(subject.country):
        return (
            MessageAttachment.objects.filter(
                country=subject.country,
                pk=pk,
                message__conversation__subject=subject.kind,
                message__conversation__subject_id=subject.pk,
            )
            .select_related("message")
            .first()
        )
