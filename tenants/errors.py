"""The refusals every service raises: a ServiceError (bad input or a rule, with the field at fault) and NotAllowed (the person may not do this)."""

from __future__ import annotations


class ServiceError(Exception):
    """A refusal a person can act on. `field` names the input at fault, when there is one; when
    several inputs are at fault at once, `field_errors` maps each field to its messages (`message` and
    `field` are then the first of them)."""

    def __init__(self, message: str, *, field: str | None = None, field_errors: dict[str, list[str]] | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        self.field_errors = field_errors or ({field: [message]} if field else {})


class NotAllowed(ServiceError):
    """The actor can see the object but their role does not allow this change."""
