"""The conversation as the pages of its subject show it (the engagement page, a deployment request's
page): the context of the section, the door that posts a message, and the door to an attachment.
Each app's views find the subject for the person first (another country's: 404), then call these."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages as flash
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from tenants import files, uploads
from tenants.conversations import selectors, services
from tenants.conversations.forms import MessageForm
from tenants.conversations.subjects import Subject
from tenants.errors import NotAllowed, ServiceError
from tenants.pages import ROLE_LABELS


def conversation_context(
    request: HttpRequest,
    subject: Subject,
    *,
    post_url: str,
    attachment_url: Callable[[int], str],
    form: MessageForm | None = None,
) -> dict:
    """The section's context. Opening it marks it read for this person; what was new to them is
    counted and marked first, so the page can say so."""
    conversation = selectors.conversation_for_reader(subject=subject, user=request.user)
    seen = (conversation.read_up_to or 0) if conversation is not None else 0
    items = selectors.message_list(conversation=conversation)
    unread = 0
    for message in items:
        message.is_new = message.pk > seen and message.author_id != request.user.pk
        message.role_label = ROLE_LABELS.get(message.author_role, "")
        message.author_name = message.author.get_full_name() or message.author.get_username()
        unread += message.is_new
        for attachment in message.attachments.all():
            attachment.url = attachment_url(attachment.pk)
    newest = max((message.pk for message in items), default=0)
    if conversation is not None:  # none yet: no message, so nothing to mark and no notice of one
        services.conversation_mark_read(
            subject=subject, conversation=conversation, user=request.user, upto=newest if newest > seen else 0
        )
    return {
        "conversation": {
            "messages": items,
            "unread": unread,
            "can_post": services.can_post(access=request.access, country_id=subject.country.pk),
            "form": form or MessageForm(),
            "post_url": post_url,
        }
    }


def message_post(
    request: HttpRequest, subject: Subject, *, page: Callable[[MessageForm], HttpResponse]
) -> HttpResponse:
    """POST a message. A refusal shows the subject's page again (`page`, with the form and its
    errors, status 400) and changes nothing."""
    if not services.can_post(access=request.access, country_id=subject.country.pk):
        raise PermissionDenied(
            _("Only the country's admins and officers and its partner managers can write in this conversation.")
        )
    form = MessageForm(request.POST, request.FILES)
    if form.is_valid():
        upload = form.cleaned_data.get("file")
        data = upload.read(uploads.max_bytes() + 1) if upload else None
        try:
            services.message_post(
                subject=subject,
                by=request.user,
                access=request.access,
                text=form.cleaned_data["text"],
                attachment_name=upload.name if upload else "",
                attachment_data=data,
            )
        except NotAllowed as error:
            raise PermissionDenied(error.message) from None
        except ServiceError as error:
            form.add_service_error(error)
        else:
            flash.success(request, _("Your message was sent."))
            return redirect(f"{subject.url}#conversation")
    response = page(form)
    response.status_code = 400
    return response


def attachment_download(request: HttpRequest, subject: Subject, pk: int) -> HttpResponse:
    """The only way to an attachment: after the subject was found for this person."""
    item = selectors.attachment_get(subject=subject, pk=pk)
    if item is None:
        raise Http404("No such attachment in this conversation.")
    try:
        # A file whose key was destroyed raises tenants.files.FileGone: the middleware answers 410.
        with files.file_open(row=item, name=item.path) as handle:
            data = handle.read()  # at most EVIDENCE_MAX_BYTES
    except FileNotFoundError:
        raise Http404("This attachment is missing from storage.") from None
    return uploads.download_response(data=data, kind=item.kind, name=item.name)
