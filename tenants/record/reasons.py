"""The reason a person gives when confirming an action that removes, revokes or stops something,
or deciding something (a rejection, a request for changes, an exit, an erasure). Services that take
one call `reason_record` in their transaction, next to the action's ledger event: the text is kept
sealed in its own row, and the event names that row by id and carries the HMAC-SHA256 of its text
under the country's reason digest key (`{"reason": id, "reason_hmac": hex}`, what `reason_record`
answers), so no free text (which may name people) goes on the chain, and an auditor holding the
country's export (which carries the key, as it carries the reasons) checks offline that the reason
shown is the reason recorded. A plain SHA-256 would give a short reason away to anyone who guesses
it, and the record outlives the country's keys; the keyed one is unreadable once they are destroyed.

A longer text a decision fixes (an engagement's conditions, a policy's text) is kept in its own
versioned row; the event carries its `text_digest`, so that an auditor holding the country's
export checks offline that the text is the one decided."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext as _

from tenants.errors import ServiceError
from tenants.inputs import text_problem
from tenants.keys.fields import Unreadable
from tenants.models import Country
from tenants.record.models import ActionReason, CountryEvent, ReasonDigestKey

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


def reason_record(
    *, country: Country, action: str, target: models.Model | None, by, reason: str, field: str = "comment"
) -> dict[str, int | str]:
    """Keep the reason of `action` on `target` (call inside the country's context, in the
    transaction that records the event) and answer what the event's payload carries for it:
    `{"reason": id, "reason_hmac": hex}`. A missing, too long or unstorable reason is a
    ServiceError on `field` and keeps nothing."""
    try:
        text = reason_clean(reason)
    except ServiceError as error:
        raise ServiceError(error.message, field=field) from None
    kept = ActionReason.objects.create(
        country=country,
        action=action,
        target_type=target._meta.label_lower if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        reason=text,
        by=by if getattr(by, "pk", None) else None,
    )
    return {"reason": kept.pk, "reason_hmac": reason_digest(key=reason_digest_key(country), text=text)}


def reason_digest_key(country: Country) -> str:
    """The country's reason digest key (hex), made at its first reason: two first reasons at once
    share one (the second insert waits for the first, finds it and reads it)."""
    key, _created = ReasonDigestKey.objects.get_or_create(
        country=country, defaults={"digest_key": secrets.token_hex(32)}
    )
    return str(key.digest_key)


def reason_digest(*, key: str, text: str) -> str:
    """The HMAC-SHA256 (hex) of a reason's text as stored (UTF-8) under the country's digest key:
    what the event carries, and what the offline verifier of the country's export recomputes."""
    return hmac.new(bytes.fromhex(key), text.encode("utf-8"), hashlib.sha256).hexdigest()


def text_digest(text: str) -> str:
    """SHA-256 (hex) of a text as stored (UTF-8): what an event carries in place of the text."""
    return hashlib.sha256((text or "").encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class ReasonOnRecord:
    """A reason as the record keeps it: its text, opened, and whether that text is the one whose
    digest the event carries (`checked`). A text that fails the check is shown with a warning; one
    that cannot be opened (the country's keys destroyed when it left) says so instead (`readable`)."""

    text: str
    checked: bool
    readable: bool = True


def reasons_on_record(*, country: Country, target: models.Model, actions: tuple[str, ...]) -> dict[str, ReasonOnRecord]:
    """The reasons the events `actions` on `target` name (the latest of each action), opened and
    checked against the digest each event carries, by action: what a page or the API shows of a
    reason, rather than a copy kept elsewhere. Call inside the country's context. Three queries."""
    named: dict[str, dict] = {}
    for action, payload in (
        CountryEvent.objects.filter(
            country_id=country.pk, target_type=target._meta.label_lower, target_id=str(target.pk), action__in=actions
        )
        .order_by("sequence", "pk")  # one not chained yet (no sequence) is the latest
        .values_list("action", "payload")
    ):
        if isinstance((payload or {}).get("reason"), int):
            named[action] = payload
    if not named:
        return {}
    rows = {
        row.pk: row
        for row in ActionReason.objects.filter(country_id=country.pk, pk__in=[p["reason"] for p in named.values()])
    }
    kept_key = ReasonDigestKey.objects.filter(country_id=country.pk).first()
    key = str(kept_key.digest_key) if kept_key else ""
    shown = {}
    for action, payload in named.items():
        row = rows.get(payload["reason"])
        if row is None:
            shown[action] = ReasonOnRecord(_("The reason given for this step is missing from the record."), False)
            continue
        text = row.reason
        if isinstance(text, Unreadable):
            shown[action] = ReasonOnRecord(str(text), False, readable=False)
            continue
        text = str(text)
        try:
            expected = reason_digest(key=key, text=text) if key else ""
        except ValueError:  # the key itself unreadable: the country's keys were destroyed
            expected = ""
        checked = bool(expected) and hmac.compare_digest(expected, str(payload.get("reason_hmac", "")))
        shown[action] = ReasonOnRecord(text, checked)
    return shown
