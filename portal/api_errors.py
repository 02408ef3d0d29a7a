"""Every API error as JSON a person can act on: {"detail": "..."} always, plus {"errors": {field: [...]}}
for input at fault. Named by REST_FRAMEWORK["EXCEPTION_HANDLER"]; extends DRF's own handler."""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from tenants.errors import NotAllowed, ServiceError
from tenants.inputs import body_refusal

NON_FIELD = "non_field_errors"

NOT_AUTHENTICATED = (
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
        errors = {exc.field or NON_FIELD: [exc.message]}
        return Response({"detail": exc.message, "errors": errors}, status=status.HTTP_400_BAD_REQUEST)
    elif isinstance(exc, SuspiciousOperation):
        # Raised while reading the body (too large, too many fields): the client's fault, so a 400
        # here rather than Django's HTML one, logged where Django would have logged it.
        logging.getLogger(f"django.security.{exc.__class__.__name__}").warning("%s", exc)
        exc = exceptions.ParseError(body_refusal(exc))
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(exc.message_dict if hasattr(exc, "error_dict") else {NON_FIELD: exc.messages})

    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # unexpected: let Django log it and answer 500

    if isinstance(exc, exceptions.ValidationError):
        errors = response.data if isinstance(response.data, dict) else {NON_FIELD: response.data}
        if "detail" in errors:
            # A refusal that names no field, raised as {"detail": ...}: one shape for it, not "detail: detail: …".
            errors = {NON_FIELD: _as_list(errors.pop("detail")), **errors}
        response.data = {"detail": _summary(errors), "errors": errors}
    elif isinstance(exc, exceptions.NotAuthenticated):
        response.data = {"detail": NOT_AUTHENTICATED}
    elif not isinstance(response.data, dict) or "detail" not in response.data:
        response.data = {"detail": _summary(response.data)}
    return response


def _as_list(value: Any) -> list:
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _messages(value: Any, prefix: str = "") -> list[str]:
    """Flatten DRF's nested error structure into "field: message" lines."""
    if isinstance(value, dict):
        lines: list[str] = []
        for key, inner in value.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            lines.extend(_messages(inner, "" if key == NON_FIELD and not prefix else name))
        return lines
    if isinstance(value, (list, tuple)):
        lines = []
        for index, inner in enumerate(value):
            # A list of dicts is a list of nested objects: name each by its position.
            lines.extend(_messages(inner, f"{prefix}[{index}]" if isinstance(inner, dict) else prefix))
        return lines
    return [f"{prefix}: {value}" if prefix else str(value)]


def _summary(errors: Any) -> str:
    lines = _messages(errors)
    if not lines:
        return "The request could not be processed."
    if len(lines) == 1:
        return lines[0]
    return "Correct these and try again — " + " ".join(
        line if line.endswith((".", "?", "!")) else f"{line}." for line in lines
    )
