"""What a conversation is about, as the app that owns the subject describes it to the foundation:
the country, the kind and id, a title for notices, the page the conversation is shown on, and the
people of the country to tell when a partner manager writes."""

from __future__ import annotations

from dataclasses import dataclass

from tenants.models import Country


@dataclass(frozen=True)
class Subject:
    country: Country
    kind: str  # a Conversation.Subject value
    pk: int
    title: str
    url: str  # the page that shows the conversation, and where its notices lead
    # The country's people told of a partner manager's message (user ids); None: its country admins.
    country_people: tuple[int, ...] | None = None


def notice_url(subject: Subject) -> str:
    """Where a notice of a message leads: the conversation on its subject's page (an address of its
    own, so that opening the conversation clears these notices and no other). Only a posted message
    writes such a notice (tenants.conversations.services.message_post)."""
    return f"{subject.url}#conversation"
