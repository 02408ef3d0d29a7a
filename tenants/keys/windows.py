"""Sealing windows: a rolling upgrade that seals a column which used to be plain.

The migration that turns a column into an `EncryptedTextField` seals the values already there
(tenants.keys.upgrades). But the release before keeps running until the rollout ends, and it still
writes plain values into that column; read by the new release, a value with no seal is refused as
altered. So the migration also opens the column's **sealing window** (`SealingWindow`): while it is
open, a value with no seal in that column reads as the plain value it is (tenants.keys.fields), and
saving it seals it. Once every process runs the new release, `window_close` seals what was left,
each value bound to its row under its country's key (a country whose keys were destroyed keeps
nothing of them, as its exit promised), records the counts on each country's chain and the closing
on the platform chain, and closes the window: from then on a value with no seal is refused again.

It is closed by `manage.py seal_plain_values` (the last step of an upgrade, docs/operations.md), or
by beat (`tenants.sealing_windows_close_due`) once SEALING_WINDOW_HOURS have passed since it opened,
whichever comes first. Work is done in committed batches: a sweep stopped half-way is run again and
goes on; a value the new release sealed meanwhile is left as it is."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db import connection
from django.utils import timezone

from tenants.isolation import country_context
from tenants.keys import envelope
from tenants.keys.models import SealingWindow
from tenants.models import Country
from tenants.record.ledger import event_record, platform_event_record

BATCH = 500
DEFAULT_HOURS = 24


@dataclass
class Closed:
    """What closing one window did."""

    window: SealingWindow
    sealed: int = 0
    emptied: int = 0
    missing: bool = False  # the column is no longer there (a later migration removed it)
    sealed_in: Counter = field(default_factory=Counter)  # country id -> values sealed
    emptied_in: Counter = field(default_factory=Counter)  # country id -> values emptied (keys destroyed)

    @property
    def name(self) -> str:
        return f"{self.window.table}.{self.window.column}"


def windows_open() -> list[SealingWindow]:
    return list(SealingWindow.objects.filter(closed_at__isnull=True).order_by("table", "column"))


def windows_due(now=None) -> list[SealingWindow]:
    """The open windows opened longer ago than SEALING_WINDOW_HOURS (beat closes them)."""
    hours = getattr(settings, "SEALING_WINDOW_HOURS", DEFAULT_HOURS)
    limit = (now or timezone.now()) - timedelta(hours=hours)
    return [window for window in windows_open() if window.opened_at <= limit]


def _column_exists(table: str, column: str) -> bool:
    with connection.cursor() as cursor:
        if table not in connection.introspection.table_names(cursor):
            return False
        return column in {c.name for c in connection.introspection.get_table_description(cursor, table)}


def _plain_rows(table: str, column: str, country_id: int, after: int, size: int):
    """The next batch of the column's rows after `after`, as (rows read, the plain ones among them).
    Plain is what has not a seal's whole shape (envelope.is_sealed): a value the release before wrote
    beginning "enc1:" is sealed like any other, not skipped by its prefix."""
    qn = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id, {qn(column)} FROM {qn(table)} "
            f"WHERE country_id = %s AND id > %s AND {qn(column)} <> '' ORDER BY id LIMIT %s",
            [country_id, after, size],
        )
        rows = [(row[0], row[1]) for row in cursor.fetchall()]
    return rows, [(pk, value) for pk, value in rows if not envelope.is_sealed(value)]


def plain_values_left(window: SealingWindow) -> int:
    """How many values of the window's column have no seal, in every country (for --check)."""
    if not _column_exists(window.table, window.column):
        return 0
    left = 0
    for country_id in Country.objects.order_by("pk").values_list("pk", flat=True):
        after = 0
        with country_context(country_id):
            while True:
                rows, plain = _plain_rows(window.table, window.column, country_id, after, BATCH)
                left += len(plain)
                if len(rows) < BATCH:
                    break
                after = rows[-1][0]
    return left


def _seal_country(closed: Closed, country_id: int, code: str, size: int) -> None:
    table, column = closed.window.table, closed.window.column
    qn = connection.ops.quote_name
    destroyed = envelope.country_keys_destroyed(country_id)
    after = 0
    while True:
        with country_context(country_id):
            rows, plain = _plain_rows(table, column, country_id, after, size)
            with connection.cursor() as cursor:
                for pk, value in plain:
                    if destroyed:
                        stored = ""
                    else:
                        aad = envelope.associated_data(code, table, column, pk)
                        stored = envelope.seal(country_id=country_id, aad=aad, plaintext=value)
                    # Only if it is still the value read: the new release may have saved the row since.
                    cursor.execute(
                        f"UPDATE {qn(table)} SET {qn(column)} = %s WHERE id = %s AND {qn(column)} = %s",
                        [stored, pk, value],
                    )
                    if cursor.rowcount:
                        (closed.emptied_in if destroyed else closed.sealed_in)[country_id] += 1
        if len(rows) < size:
            return
        after = rows[-1][0]


def window_close(window: SealingWindow, *, size: int = BATCH) -> Closed:
    """Seal every value left without a seal in the window's column, then close the window."""
    closed = Closed(window)
    if not _column_exists(window.table, window.column):
        closed.missing = True
    else:
        for country_id, code in Country.objects.order_by("pk").values_list("pk", "code"):
            _seal_country(closed, country_id, code, size)
    closed.sealed, closed.emptied = closed.sealed_in.total(), closed.emptied_in.total()
    SealingWindow.objects.filter(pk=window.pk, closed_at__isnull=True).update(
        closed_at=timezone.now(), sealed=closed.sealed, emptied=closed.emptied
    )
    return closed


def windows_close(
    windows: list[SealingWindow] | None = None, *, progress: Callable[[Closed], None] | None = None
) -> list[Closed]:
    """Close `windows` (every open one by default) and put what was done on the record: each
    country's count on its chain, the columns closed on the platform chain."""
    chosen = windows_open() if windows is None else windows
    results = []
    for window in chosen:
        results.append(window_close(window))
        if progress:
            progress(results[-1])
    if not results:
        return results
    sealed_in: Counter = sum((result.sealed_in for result in results), Counter())
    emptied_in: Counter = sum((result.emptied_in for result in results), Counter())
    for country in Country.objects.filter(pk__in=list(sealed_in | emptied_in)).order_by("pk"):
        with country_context(country):
            event_record(
                country=country,
                action="key.plain_values_sealed",
                actor_role="platform",
                payload={"sealed": sealed_in[country.pk], "emptied": emptied_in[country.pk]},
            )
    platform_event_record(
        action="key.sealing_windows_closed",
        actor_role="platform",
        payload={
            "columns": [result.name for result in results],
            "sealed": sum(result.sealed for result in results),
            "emptied": sum(result.emptied for result in results),
        },
    )
    return results
