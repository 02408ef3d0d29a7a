"""The confirmation of an action that ends, removes, revokes, publishes or destroys something, for
every app's pages: GET shows what will happen with a warning, a required reason and a warning
button (includes/confirm_reason.html); a POST without a reason, or one the service refuses, shows
the page again with the error (400) and nothing is done; with a reason the service acts and the
person is sent on. The service receives the reason and keeps it (tenants.record.reasons)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from tenants.errors import NotAllowed, ServiceError
from tenants.forms import ReasonForm
from tenants.models import Country
from tenants.pages import base_context, posted

PAGE = "tenants/confirm_reason_page.html"


def confirm_with_reason(
    request: HttpRequest,
    *,
    act: Callable[[str], Any],
    template: str,
    context: dict,
    success_url: str,
    success_message: str = "",
) -> HttpResponse:
    """Answer a confirmation page: `act(reason)` calls the service; a NotAllowed is a 403, another
    ServiceError an error on the form (400). `context` is the page's, the form is added to it."""
    form = ReasonForm(posted(request))
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                act(form.cleaned_data["comment"])
            except NotAllowed as error:
                raise PermissionDenied(error.message) from None
            except ServiceError as error:
                form.add_service_error(error)
            else:
                if success_message:
                    messages.success(request, success_message)
                return redirect(success_url)
        status = 400  # no reason, or refused: the page asks again, and nothing is done
    return render(request, template, {**context, "form": form}, status=status)


def confirm_page(
    request: HttpRequest,
    country: Country,
    *,
    act: Callable[[str], Any],
    back: str,
    caption: str,
    heading: str,
    warning: str,
    button: str,
    success_url: str = "",
    success_message: str = "",
    details: list[tuple[str, str]] | None = None,
) -> HttpResponse:
    """The same, on the shared page of a country's confirmation (tenants/confirm_reason_page.html):
    a caption, a question as heading, optional (label, value) rows saying what is concerned, the
    warning and the button; `back` is where both the back link and "No, go back" lead, and where
    the person is sent once it is done unless `success_url` says otherwise."""
    return confirm_with_reason(
        request,
        act=act,
        template=PAGE,
        context={
            **base_context(request, country),
            "back": back,
            "caption": caption,
            "heading": heading,
            "warning": warning,
            "button": button,
            "details": details or [],
        },
        success_url=success_url or back,
        success_message=success_message,
    )
