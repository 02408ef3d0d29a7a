"""What every process must see at once about a country: whether it may still be changed (a country
that is leaving the programme, or has left it, is read-only) and its key epoch (bumped when its
keys are destroyed, so that no process goes on opening values with a key it had cached).

One small lookup of the country's row answers both. Within a request the answer is taken once
(the middleware seeds it from the country it already loaded) and within a Celery task once per
task; anywhere else each question reads the row again. Nothing here is cached for longer.

This module sits under tenants.models (whose TenantModel asks it before every write), so it
reads the country table with SQL rather than through the model."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime

from django.db import connection
from django.dispatch import Signal
from django.utils.translation import gettext as _

from tenants.languages.formatting import long_date

EXITING = "exiting"
EXITED = "exited"
READ_ONLY_STATUSES = frozenset({EXITING, EXITED})


@dataclass(frozen=True)
class CountryState:
    country_id: int
    code: str
    name: str
    status: str
    key_epoch: int
    left_at: datetime | None = None

    @property
    def read_only(self) -> bool:
        return self.status in READ_ONLY_STATUSES


class CountryReadOnly(Exception):
    """A write to a country that is leaving or has left the programme. Never a ServiceError: no
    view turns it into a form message; the middleware answers 409 for the whole request."""

    def __init__(self, state: CountryState):
        self.state = state
        self.message = read_only_message(state)
        super().__init__(self.message)


def read_only_message(state: CountryState) -> str:
    if state.status == EXITED and state.left_at:
        return _(
            "%(name)s left the programme on %(date)s: its data can still be read, but nothing can be "
            "changed. Nothing was changed."
        ) % {"name": state.name, "date": long_date(state.left_at)}
    if state.status == EXITED:
        return _(
            "%(name)s left the programme: its data can still be read, but nothing can be changed. Nothing was changed."
        ) % {"name": state.name}
    return _(
        "%(name)s is leaving the programme: its data is being exported for it and can no longer be "
        "changed. Nothing was changed."
    ) % {"name": state.name}


_memo: ContextVar[dict[int, CountryState] | None] = ContextVar("portal_country_state_memo", default=None)


def state_of(country) -> CountryState:
    """The state of a loaded Country row, as it was when it was loaded."""
    return CountryState(
        country.pk,
        country.code,
        country.name,
        country.status,
        getattr(country, "key_epoch", 0),
        getattr(country, "left_at", None),
    )


@contextmanager
def country_state_memo(*seed) -> Iterator[dict[int, CountryState]]:
    """Answer each country's state once within the block (a request, a task). `seed`: Country rows
    already loaded, whose state is taken as it was read."""
    memo = {country.pk: state_of(country) for country in seed if country is not None}
    token = _memo.set(memo)
    try:
        yield memo
    finally:
        _memo.reset(token)


def memo_open() -> object:
    """For callers that cannot use a with block (Celery's task_prerun/task_postrun signals)."""
    return _memo.set({})


def memo_close(token) -> None:
    _memo.reset(token)


def _fetch(ids: list[int]) -> dict[int, CountryState]:
    marks = ", ".join(["%s"] * len(ids))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id, code, name, status, key_epoch, left_at FROM tenants_country WHERE id IN ({marks})", ids
        )
        return {row[0]: CountryState(*row) for row in cursor.fetchall()}


def country_states(country_ids: Iterable[int]) -> dict[int, CountryState]:
    wanted = sorted({int(i) for i in country_ids})
    memo = _memo.get()
    missing = [i for i in wanted if memo is None or i not in memo]
    fetched = _fetch(missing) if missing else {}
    if memo is not None:
        memo.update(fetched)
        return {i: memo[i] for i in wanted if i in memo}
    return fetched


def country_state(country_id: int) -> CountryState | None:
    return country_states([country_id]).get(int(country_id))


# Sent inside the transaction of a country's exit, while its rows may still be written: just before
# the run makes it read-only (leaving=True), and when a cancelled run gives it back (leaving=False).
# Apps above the tenants (the gateway's policies) act on it; sender: the Country's id.
country_leaving = Signal()


def country_state_changed(country_id: int) -> None:
    """This process changed the country's row: forget what the memo holds for it."""
    memo = _memo.get()
    if memo is not None:
        memo.pop(int(country_id), None)


def allowed_after_exit(view):
    """Mark a view (function or class) whose POST only reads: a verification of the record, an
    export of it. CountryScopeMiddleware lets it through for a country that left; every other
    POST, PUT, PATCH or DELETE to such a country is refused with 409."""
    view.allowed_after_exit = True
    return view


def writable_after_exit(model) -> bool:
    """Tables a country keeps writing to after it left: its record, its keys' and exports'
    bookkeeping, jobs and notifications. Every other table of a country is read-only then."""
    return bool(getattr(model, "writable_after_exit", False))


def writes_check(model, country_ids: Iterable[int]) -> None:
    """Raise CountryReadOnly if a row of `model` may not be written in one of these countries."""
    if writable_after_exit(model):
        return
    ids = [i for i in country_ids if i is not None]
    if not ids:
        return
    for state in country_states(ids).values():
        if state.read_only:
            raise CountryReadOnly(state)


def read_only_ids(country_ids: Iterable[int]) -> list[int]:
    return [state.country_id for state in country_states(country_ids).values() if state.read_only]
