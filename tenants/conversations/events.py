"""The conversations' events on the record in words: a message is named by what it is on, with a
link to it on its subject's page; its detail is the digest of its text (never the text)."""

from __future__ import annotations

from django.db.models import CharField, QuerySet, Value
from django.db.models.functions import Cast, Concat
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext, gettext_lazy, ngettext

from tenants.conversations.models import Conversation, Message
from tenants.ids import parse_id

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


def _message_subjects(country, ids: set[int]) -> QuerySet:
    """(pk, "kind:subject id") of the messages asked: read with every other kind of target."""
    return (
        Message.objects.filter(country=country, pk__in=ids)
        .annotate(
            subject_named=Concat(
                "conversation__subject",
                Value(":"),
                Cast("conversation__subject_id", CharField()),
                output_field=CharField(),
            )
        )
        .values_list("pk", "subject_named")
    )


def _message_link(country, pk: int) -> str:
    return ""  # a message is shown on its subject's page: `_message_shown` links there


def _message_shown(country, pk: int, subject: str) -> tuple[str, str]:
    kind, _, subject_id = subject.partition(":")
    subject_pk = parse_id(subject_id)
    if kind not in NAMES or subject_pk is None:
        return gettext("“%(id)s” (deleted)") % {"id": pk}, ""
    page = subject_page(code=country.code, kind=kind, pk=subject_pk)
    return str(NAMES[kind]).format(pk=subject_id), f"{page}#message-{pk}" if page else ""


def _detail(action: str, payload: dict) -> str:
    if "hmac" in payload:
        text = gettext("HMAC-SHA256 of the text under the conversation's key: %(digest)s") % {"digest": payload["hmac"]}
    else:  # recorded before messages' digests were keyed
        text = gettext("SHA-256 of the text: %(digest)s") % {"digest": payload.get("sha256", "")}
    # Keyed like the text (attachments_hmac), or before that their plain SHA-256 (attachments).
    attached = len(payload.get("attachments_hmac") or payload.get("attachments") or [])
    if not attached:
        return text
    return ngettext("%(text)s; %(count)s attachment", "%(text)s; %(count)s attachments", attached) % {
        "text": text,
        "count": attached,
    }


def register() -> None:
    from tenants.record.events import Target, events_register

    events_register(
        labels={"conversation.message_posted": gettext_lazy("Message written")},
        targets={"tenants.message": Target(_message_subjects, _message_link, _message_shown)},
        details={"conversation": _detail},
    )
