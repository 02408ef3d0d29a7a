"""The conversations' events on the record in words: a message is named by what it is on, with a
link to it on its subject's page; its detail is the SHA-256 of its text (never the text)."""

from __future__ import annotations

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy

from tenants.conversations.models import Conversation, Message
from tenants.isolation import country_context

# The pages of the subjects belong to the apps above; they are named here by URL name only.
PAGES = {
    Conversation.Subject.ENGAGEMENT: "engagement:detail",
    Conversation.Subject.DEPLOYMENT_REQUEST: "deployments:detail",
}
NAMES = {
    Conversation.Subject.ENGAGEMENT: gettext_lazy("Message on engagement {pk}"),
    Conversation.Subject.DEPLOYMENT_REQUEST: gettext_lazy("Message on deployment request {pk}"),
}


def subject_page(*, code: str, kind: str, pk: int) -> str:
    try:
        return reverse(PAGES[kind], kwargs={"code": code.lower(), "pk": pk})
    except (KeyError, NoReverseMatch):
        return ""


def _messages(country, ids: set[int]) -> dict[int, tuple[str, str]]:
    with country_context(country):
        rows = Message.objects.filter(country=country, pk__in=ids).values_list(
            "pk", "conversation__subject", "conversation__subject_id"
        )
        named = {}
        for pk, kind, subject_id in rows:
            page = subject_page(code=country.code, kind=kind, pk=subject_id)
            named[pk] = (str(NAMES[kind]).format(pk=subject_id), f"{page}#message-{pk}" if page else "")
        return named


def _detail(action: str, payload: dict) -> str:
    attached = len(payload.get("attachments") or [])
    text = f"SHA-256 of the text: {payload.get('sha256', '')}"
    return f"{text}; {attached} attachment(s)" if attached else text


def register() -> None:
    from tenants.record.events import events_register

    events_register(
        labels={"conversation.message_posted": gettext_lazy("Message written")},
        targets={"tenants.message": _messages},
        details={"conversation": _detail},
    )
