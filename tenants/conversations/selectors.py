"""Reads of a conversation: its messages oldest first (authors and attachments in two more queries,
whatever their number), how many a person has not read, and one attachment of it."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from tenants.conversations.models import Conversation, ConversationRead, Message, MessageAttachment
from tenants.conversations.subjects import Subject
from tenants.isolation import reading_context


def conversation_get(*, subject: Subject) -> Conversation | None:
    with reading_context(subject.country):
        return Conversation.objects.filter(country=subject.country, subject=subject.kind, subject_id=subject.pk).first()


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
