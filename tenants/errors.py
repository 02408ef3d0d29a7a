"""The refusals every service raises: a ServiceError (bad input or a rule, with the field at fault) and NotAllowed (the person may not do this)."""

from __future__ import annotations


class ServiceError(Exception):
    """A refusal a person can act on. `field` names the input at fault, when there is one."""

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class NotAllowed(ServiceError):
    """The actor can see the object but their role does not allow this change."""
