"""Chaining (DESIGN §5): how an event committed unchained gets its place on its chain. Right after
the recording transaction's commit (an on_commit callback, once per chain and transaction), one
statement of its own chains every committed event waiting on that chain, in one batch, under the
chain's advisory lock (the database function portal_chain_committed(), tenants migration 0025); a
sweep (beat, a worker's start) chains what a stopped process left waiting; a transaction that must
see its own events chained asks for it and holds the lock until it ends. See "Chained after
commit" in docs/architecture.md."""

from __future__ import annotations

import logging
from contextlib import nullcontext

from django.db import connection, transaction

from tenants.isolation import country_context, joined_context
from tenants.models import Country
from tenants.record.models import CountryEvent

log = logging.getLogger(__name__)

LOCK_NAMESPACE = 0x504F5254  # advisory-lock class of the ledger; the second key is the country id (0: platform)


class _ChainAfterCommit:
    """The on_commit callback that chains what waits on one chain (None: the platform's) once the
    recording transaction has committed; registered once per chain and transaction."""

    __slots__ = ("country_id",)

    def __init__(self, country_id: int | None) -> None:
        self.country_id = country_id

    def __call__(self) -> None:
        # Never raises: the recording transaction has committed, its caller must not fail now, and
        # what waits is chained by the next writer of the chain or the sweep. (Django's robust
        # on_commit would log a failure by the callback's __qualname__, which an instance lacks:
        # the logging itself raised, and the error reached the caller after its commit.)
        try:
            chain_catch_up(country=self.country_id)
        except Exception as error:
            log.warning(
                "Chaining after the commit failed (%s); the next writer or the sweep chains chain %s",
                type(error).__name__,
                self.country_id if self.country_id is not None else "platform",
            )


class _ChainAtOnce:
    """The mark, among a transaction's on_commit callbacks, that it asked for its events chained as
    they are recorded (chain_pending_now). It does nothing at commit, and leaves with the
    transaction (or the savepoint that set it) as every callback does."""

    def __call__(self) -> None:
        return None


def _chains_waiting_in_this_transaction() -> tuple[bool, set[int | None]]:
    asked, chains = False, set()
    for _, callback, _ in connection.run_on_commit:
        if isinstance(callback, _ChainAtOnce):
            asked = True
        elif isinstance(callback, _ChainAfterCommit):
            chains.add(callback.country_id)
    return asked, chains


def _chain_here(country_id: int | None) -> int:
    """Chain what the current transaction can see waiting on one chain (its own events, and those
    others committed). Inside a transaction, the chain's lock is then held until it ends. Outside
    one, a single statement is its own transaction (autocommit): the scope, the lock, the batch and
    the commit in one round trip, the lock released once the commit is flushed."""
    with connection.cursor() as cursor:
        if connection.in_atomic_block:
            # One statement: it joins a transaction that holds the chain's country already.
            with joined_context(country_id) if country_id is not None else nullcontext():
                cursor.execute("SELECT portal_chain_committed(%s)", [country_id])
        elif country_id is None:
            cursor.execute("SELECT portal_chain_committed(NULL)")
        else:
            # The scope set first (OFFSET 0 keeps the subquery, and so its row, ahead of the call).
            cursor.execute(
                "SELECT portal_chain_committed(%s) FROM (SELECT set_config('portal.country_id', %s, true) OFFSET 0) s",
                [country_id, str(country_id)],
            )
        return cursor.fetchone()[0]


def chain_recorded(country_id: int | None, *, at_once: bool = False) -> bool:
    """For each event recorded unchained on a chain (a country's id, None: the platform's): chain
    it now, in the recording transaction, when the caller asks (`at_once`) or the transaction did
    (chain_pending_now), and say so; otherwise arrange for its chain to be caught up right after
    the commit, once per chain and transaction (a failure there is logged, and the event waits for
    the next writer or the sweep)."""
    asked, chains = _chains_waiting_in_this_transaction()
    if at_once or asked:
        _chain_here(country_id)
        return True
    if country_id not in chains:
        transaction.on_commit(_ChainAfterCommit(country_id))
    return False


def chain_catch_up(*, country: Country | int | None = None) -> int:
    """Chain every committed event still waiting on a country's chain (the platform's with no
    country); returns how many. Outside a transaction it runs in one of its own, so the chain's lock
    is held for that batch and its commit only. Inside one, it chains there and the lock stays held
    until that transaction ends: callers that read the chain inside a transaction read its chained
    events without calling this."""
    if connection.vendor != "postgresql":
        return 0
    return _chain_here(getattr(country, "pk", country))


def chain_pending_now() -> None:
    """From here to its commit, chain this transaction's events as they are recorded, and chain
    now those it recorded so far (with whatever others committed on the same chains): for the rare
    transaction that must see its own events chained (one that names an event's place, a test that
    never commits). The chains it touches stay locked until it ends: the price of asking, paid only
    by those who ask."""
    if connection.vendor != "postgresql" or not connection.in_atomic_block:
        return
    asked, chains = _chains_waiting_in_this_transaction()
    if not asked:
        transaction.on_commit(_ChainAtOnce())
    for country_id in sorted(chains, key=lambda c: float("inf") if c is None else c):  # countries, then platform
        _chain_here(country_id)


def chain_sweep() -> int:
    """Chain every event left waiting on any chain (a process that stopped between a commit and its
    chaining); returns how many. Run by beat every minute and once when a worker starts."""
    if connection.vendor != "postgresql":
        return 0
    chained = chain_catch_up()
    country_ids = list(Country.objects.values_list("pk", flat=True))
    if country_ids:
        with country_context(country_ids):
            waiting = sorted(
                set(
                    CountryEvent.objects.filter(sequence__isnull=True)
                    .order_by()
                    .values_list("country_id", flat=True)
                    .distinct()
                )
            )
        for country_id in waiting:
            chained += chain_catch_up(country=country_id)
    return chained


def chain_lock(*, country: Country | None = None) -> None:
    """Hold a chain's lock (a country's, or the platform's) until the current transaction ends, so
    that no chaining runs on it meanwhile. For a transaction that changes events' rows (an erasure's
    relabelling) before it chains its own: taken first, it keeps the chaining that follows another
    writer's commit from waiting on those rows while this one waits on the lock."""
    _lock_chain(country.pk if country else 0)


def _lock_chain(country_id: int) -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # Transaction-scoped: released at the commit or rollback of the transaction that took it.
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [LOCK_NAMESPACE, country_id])
