"""Sealing the files stored before files were sealed, and re-sealing after a key rotation the files
sealed under a retired key: a resumable job, in batches, through the outbox.

`files_reseal_start` enqueues one job per country (`tenants.files_reseal`). Each run takes a batch of
rows of one kind of file (tenants.keys.holdings, and the country's exports), seals in place every
file that has no seal yet or is sealed under a retired key (tenants.files.file_reseal: a sealed copy beside it first, so a run killed
half-way loses nothing), and enqueues the next batch. Already sealed files are skipped, so a run
repeated or resumed from the start does no harm. For a country whose keys were destroyed, a file
still in the clear is deleted instead (it should have become unreadable with the keys), except its
exports, which are sealed under a key of their own. The end is on the country's chain.

`reseal_files` (management command) starts it, or runs it here with progress."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.db import models, transaction

from tenants import files
from tenants.isolation import country_context
from tenants.jobs.outbox import outbox_enqueue
from tenants.keys import holdings
from tenants.keys.models import CountryExport, CountryKey
from tenants.models import Country
from tenants.record.ledger import event_record

BATCH = 100
TASK = "tenants.files_reseal"
EXPORTS = "tenants.CountryExport"


@dataclass(frozen=True)
class Kind:
    label: str
    model: type[models.Model]
    name: Callable[[models.Model], str]
    own_key: Callable[[models.Model], bool]


def kinds() -> list[Kind]:
    """Every kind of stored file, in a fixed order (a job names where it stopped by label and id)."""
    found = [Kind(k.label, k.model, k.name, lambda row: False) for k in holdings.stored_files()]
    found.append(
        Kind(
            EXPORTS,
            CountryExport,
            lambda row: f"exports/{row.file_name}" if row.file_name else "",
            lambda row: row.for_exit,
        )
    )
    return sorted(found, key=lambda kind: kind.label)


@dataclass
class Batch:
    sealed: int = 0
    deleted: int = 0
    next_kind: str = ""
    next_after: int = 0

    @property
    def finished(self) -> bool:
        return not self.next_kind


def _keys_destroyed(country: Country) -> bool:
    with country_context(country):
        return CountryKey.objects.filter(state=CountryKey.State.DESTROYED).exists()


def files_reseal_batch(*, country: Country, kind_label: str = "", after: int = 0, size: int | None = None) -> Batch:
    """Seal one batch of `kind_label`'s files with ids above `after`; says where the next one starts."""
    size = size or BATCH
    order = kinds()
    labels = [kind.label for kind in order]
    position = labels.index(kind_label) if kind_label in labels else 0
    kind = order[position]
    shred = _keys_destroyed(country) and kind.label != EXPORTS
    batch = Batch()
    with country_context(country):
        rows = list(kind.model.objects.filter(country_id=country.pk, pk__gt=after).order_by("pk")[:size])
        for row in rows:
            name = kind.name(row)
            if not name:
                continue
            if shred:
                files.file_delete(f"{name}.sealing")
                if files.file_exists(name) and not files.file_is_sealed(name):
                    files.file_delete(name)
                    batch.deleted += 1
            elif files.file_reseal(row=row, name=name, own_key=kind.own_key(row)):
                batch.sealed += 1
    if len(rows) == size:
        batch.next_kind, batch.next_after = kind.label, rows[-1].pk
    elif position + 1 < len(order):
        batch.next_kind, batch.next_after = order[position + 1].label, 0
    return batch


def files_reseal_step(
    *, country_id: int, kind: str = "", after: int = 0, sealed: int = 0, deleted: int = 0, chain: bool = True
) -> Batch:
    """One run of the job: a batch, then the next batch enqueued (or the end recorded)."""
    country = Country.objects.get(pk=country_id)
    batch = files_reseal_batch(country=country, kind_label=kind, after=after)
    sealed, deleted = sealed + batch.sealed, deleted + batch.deleted
    with transaction.atomic(), country_context(country):
        if not batch.finished:
            if chain:
                outbox_enqueue(
                    task=TASK,
                    country_id=country.pk,
                    kind=batch.next_kind,
                    after=batch.next_after,
                    sealed=sealed,
                    deleted=deleted,
                )
        elif sealed or deleted:
            event_record(
                country=country, action="files.resealed", payload={"sealed": sealed, "deleted_after_exit": deleted}
            )
    batch.sealed, batch.deleted = sealed, deleted
    return batch


def files_reseal_start(*, countries: list[Country] | None = None) -> int:
    """Enqueue the job for each country (all of them by default); returns how many were enqueued."""
    chosen = countries if countries is not None else list(Country.objects.order_by("pk"))
    for country in chosen:
        with transaction.atomic(), country_context(country):
            outbox_enqueue(task=TASK, country_id=country.pk, kind="", after=0, sealed=0, deleted=0)
    return len(chosen)


def files_reseal_here(*, country: Country, progress: Callable[[str], None] | None = None) -> Batch:
    """The whole job for one country, run in this process (the command's --now)."""
    kind, after, sealed, deleted = "", 0, 0, 0
    while True:
        batch = files_reseal_step(
            country_id=country.pk, kind=kind, after=after, sealed=sealed, deleted=deleted, chain=False
        )
        sealed, deleted = batch.sealed, batch.deleted
        if progress:
            progress(f"{country.code}: {sealed} sealed, {deleted} deleted (keys destroyed) so far")
        if batch.finished:
            return batch
        kind, after = batch.next_kind, batch.next_after
