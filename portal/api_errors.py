"""Every API error as JSON a person can act on: {"detail": "..."} always, plus {"errors": {field: [...]}}
for input at fault. Named by REST_FRAMEWORK["EXCEPTION_HANDLER"]; extends DRF's own handler."""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from tenants.errors import NotAllowed, ServiceError
from tenants.inputs import body_refusal, body_refusal_status

NON_FIELD = "non_field_errors"

NOT_AUTHENTICATED = gettext_lazy(
    "Sign in first: send 'Authorization: Bearer <token>' (get a token at POST /api/v1/auth/token/) "
    "or use a signed-in browser session."
)


def exception_handler(exc: Exception, context: dict) -> Response | None:
    """DRF's handler, plus: service refusals (ServiceError → 400, NotAllowed → 403), Django
    ValidationError → 400, and one body shape for every error.

    Nothing is rolled back here: each write view makes one service call, which is atomic and
    has undone its own work by the time its refusal arrives here."""
    if isinstance(exc, NotAllowed):
        exc = exceptions.PermissionDenied(exc.message)
    elif isinstance(exc, ServiceError):
        errors = {field: [str(m) for m in messages] for field, messages in exc.field_errors.items()} or {
            NON_FIELD: [exc.message]
        }
        detail = exc.message if len(errors) == 1 else _summary(errors)
        return Response({"detail": detail, "errors": errors}, status=status.HTTP_400_BAD_REQUEST)
    elif isinstance(exc, SuspiciousOperation):
        # Raised while reading the body (too large, too many fields): the client's fault, so a 413
        # or a 400 here rather than Django's HTML one, logged where Django would have logged it.
        logging.getLogger(f"django.security.{exc.__class__.__name__}").warning("%s", exc)
        if body_refusal_status(exc) == 413:
            return Response({"detail": body_refusal(exc)}, status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)
        exc = exceptions.ParseError(body_refusal(exc))
    elif type(exc) is exceptions.Throttled:
        exc = _throttled(exc.wait)
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(exc.message_dict if hasattr(exc, "error_dict") else {NON_FIELD: exc.messages})

    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # unexpected: let Django log it and answer 500

    if isinstance(exc, exceptions.ValidationError):
        errors = field_errors(response.data)
        response.data = {"detail": _summary(errors), "errors": errors}
    elif isinstance(exc, exceptions.NotAuthenticated):
        response.data = {"detail": str(NOT_AUTHENTICATED)}
    elif not isinstance(response.data, dict) or "detail" not in response.data:
        response.data = {"detail": _summary(field_errors(response.data))}
    return response


def _throttled(wait: int | None) -> exceptions.Throttled:
    """DRF's refusal of a throttled request, in the reader's language: DRF adds "Expected available
    in N seconds." through ngettext on the text already formatted, which no catalogue holds."""
    if wait is None:
        detail = _("Too many requests. Wait a little and try again.")
    else:
        detail = ngettext(
            "Too many requests. Try again in %(wait)d second.",
            "Too many requests. Try again in %(wait)d seconds.",
            wait,
        ) % {"wait": wait}
    refusal = exceptions.Throttled(detail=detail)
    refusal.wait = wait  # the Retry-After header
    return refusal


def field_errors(value: Any) -> dict[str, list[str]]:
    """DRF's nested errors as one flat mapping of field path → messages, the shape the schema
    documents: {"capabilities[0]": [...], "content.modules[1].title": [...]}. A refusal raised as
    {"detail": ...} names no field: it is filed under non_field_errors, not read as "detail: …"."""
    flat: dict[str, list[str]] = {}

    def walk(node: Any, path: str) -> None:
        if isinstance(node, dict):
            for key, inner in node.items():
                key = str(key)
                if key in (NON_FIELD, "detail"):
                    walk(inner, path)
                elif not path:
                    walk(inner, key)
                else:
                    walk(inner, f"{path}[{key}]" if key.isdigit() else f"{path}.{key}")
        elif isinstance(node, (list, tuple)):
            for index, inner in enumerate(node):
                walk(inner, f"{path}[{index}]" if isinstance(inner, (dict, list, tuple)) else path)
        else:
            flat.setdefault(path or NON_FIELD, []).append(str(node))

    walk(value, "")
    return flat


def _summary(errors: dict[str, list[str]]) -> str:
    lines = [
        message if field == NON_FIELD else f"{field}: {message}"
        for field, messages in errors.items()
        for message in messages
    ]
    if not lines:
        return _("The request could not be processed.")
    if len(lines) == 1:
        return lines[0]
    return _("Correct these and try again — {errors}").format(
        errors=" ".join(line if line.endswith((".", "?", "!")) else f"{line}." for line in lines)
    )
