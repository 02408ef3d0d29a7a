"""The reason a person gives when confirming an action that removes, revokes or stops something.
Services that take one call `reason_record` in their transaction, next to the action's ledger
event: the text is kept sealed in its own row, and the event names that row by id only, so no
free text (which may name people) goes on the chain.

A longer text a decision fixes (an engagement's conditions, a policy's text) is kept in its own
versioned row; the event carries its `text_digest`, so that an auditor holding the country's
export checks offline that the text is the one decided."""

from __future__ import annotations

import hashlib

from django.db import models
from django.utils.translation import gettext as _

from tenants.errors import ServiceError
from tenants.inputs import text_problem
from tenants.models import Country
from tenants.record.models import ActionReason

MAX_REASON = 2000


def reason_clean(reason: str | None) -> str:
    """The reason, trimmed; a missing, too long or unstorable one is a ServiceError on `comment`
    (the field of the confirmation form), so that nothing is done without it."""
    text = (reason or "").strip()
    if not text:
        raise ServiceError(_("Say why: the reason goes on the record."), field="comment")
    if len(text) > MAX_REASON:
        raise ServiceError(
            _("The reason must be {max_reason:,} characters or fewer.").format(max_reason=MAX_REASON), field="comment"
        )
    problem = text_problem(text)
    if problem:
        raise ServiceError(problem, field="comment")
    return text


def reason_record(*, country: Country, action: str, target: models.Model | None, by, reason: str) -> ActionReason:
    """Keep the reason of `action` on `target` (call inside the country's context)."""
    return ActionReason.objects.create(
        country=country,
        action=action,
        target_type=target._meta.label_lower if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        reason=reason_clean(reason),
        by=by if getattr(by, "pk", None) else None,
    )


def text_digest(text: str) -> str:
    """SHA-256 (hex) of a text as stored (UTF-8): what an event carries in place of the text."""
    return hashlib.sha256((text or "").encode("utf-8")).hexdigest()
