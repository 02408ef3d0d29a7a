"""Ledger exports an auditor can verify offline: a zip of events.jsonl, checkpoints.jsonl, the
portal's public key and the standard-library verification script. A country's chain, or the
platform's (country None): the same format, the same verifier."""

from __future__ import annotations

import json
import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tenants.isolation import joined_context, reading_context
from tenants.models import Country
from tenants.record import ledger, signing
from tenants.record.chaining import chain_catch_up
from tenants.record.models import PLATFORM_CHAIN, CountryCheckpoint, CountryEvent, PlatformCheckpoint, PlatformEvent

VERIFY_SCRIPT = Path(__file__).resolve().parent / "offline" / "verify_ledger.py"
EXPORT_README = """Ledger export of {chain}, events {first} to {last}.

Verify it offline with Python 3 (standard library only):

    python3 verify_ledger.py {filename}

segment.json is the portal's signed statement of the range this export holds (events {first} to
{last}): the verifier refuses an export whose first or last events were cut off, and says plainly
whether it verified the chain from its start or a segment of it.

The public key of the portal is in ledger-key.pem (fingerprint {key_id}); compare it with the one
published at /.well-known/ledger-key.pem, or pass your own copy with --key. Checkpoints signed
before a rotation of the portal's key are checked under the key each names, from
ledger-keyring.json (compare it with /.well-known/ledger-keyring.json, or pass your own copy with
--keyring).
"""


class ExportRefused(ValueError):
    pass


def _chain(country: Country | None):
    """(chain name, event model, checkpoint model, filter) of a country's chain or the platform's."""
    if country is None:
        return PLATFORM_CHAIN, PlatformEvent, PlatformCheckpoint, {}
    return country.code, CountryEvent, CountryCheckpoint, {"country_id": country.pk}


def _reading(country: Country | None):
    # The platform chain is no country's: no scope to open, a transaction (or the caller's) to read in.
    return reading_context(country) if country is not None else transaction.atomic()


def _joined(country: Country | None):
    return joined_context(country) if country is not None else transaction.atomic()


def _event_line(chain: str, row: tuple) -> str:
    sequence, at, actor_id, actor_role, action, target_type, target_id, payload, prev_hash, own = row
    record = ledger.event_fields(
        chain=chain,
        sequence=sequence,
        at=at,
        actor_id=actor_id,
        actor_role=actor_role,
        action=action,
        target_type=target_type,
        target_id=target_id,
        payload=payload,
        prev_hash=prev_hash,
    )
    record["hash"] = own
    return json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False) + "\n"


def _checkpoint_line(chain: str, checkpoint) -> str:
    record = ledger.checkpoint_fields(
        chain=chain,
        sequence=checkpoint.sequence,
        head_hash=checkpoint.head_hash,
        at=checkpoint.at,
        key_id=checkpoint.key_id,
    )
    record["signature"] = checkpoint.signature
    return json.dumps(record, sort_keys=True, separators=(",", ":")) + "\n"


def segment_statement(chain: str, first: int, last: int) -> str:
    """segment.json: the range the export holds, signed by the portal's current key (the one whose
    fingerprint the verifier prints), so that cutting events off either end of it is detected and
    a segment is never taken for the whole chain. It vouches for the range only: the events are
    vouched for by their hashes and the checkpoint that signs the last one."""
    fields = {
        "chain": chain,
        "first": first,
        "last": last,
        "at": ledger.format_time(timezone.now()),
        "key_id": signing.public_key_id(),
    }
    return json.dumps({**fields, "signature": signing.sign(ledger.canonical_bytes(fields))}, sort_keys=True) + "\n"


def ledger_segment_bounds(*, country: Country | None, first: int | None, last: int | None) -> tuple[int, int]:
    if not connection.in_atomic_block:
        chain_catch_up(country=country)  # what waits, in a short transaction of its own
    _name, event_model, _checkpoints, extra = _chain(country)
    with _joined(country):
        head = (
            event_model.objects.filter(**extra, sequence__isnull=False)
            .order_by("-sequence")
            .values_list("sequence", flat=True)
            .first()
        )
    if not head and country is None:
        raise ExportRefused(_("The platform chain has no events yet."))
    if not head:
        raise ExportRefused(_("The ledger of %(country)s has no events yet.") % {"country": country.display_name})
    first = 1 if first is None else first
    last = head if last is None else last
    if first < 1 or last < first:
        raise ExportRefused(_("Choose a first event of at least 1 and a last event after it."))
    if last > head:
        raise ExportRefused(_("The ledger has {head} events; choose a last event of at most {head}.").format(head=head))
    return first, last


class _Segment:
    """Passes rows of the chain on, writing those of events `first`..`last` to `out` as they go by."""

    def __init__(self, chain: str, out, first: int, last: int):
        self.chain, self.out, self.first, self.last = chain, out, first, last
        self.count = 0

    def passing(self, rows: Iterable[tuple]) -> Iterator[tuple]:
        for row in rows:
            if self.first <= row[0] <= self.last:
                self.out.write(_event_line(self.chain, row).encode("utf-8"))
                self.count += 1
            yield row


def _verified_base(chain: str, checkpoints: list, *, before: int) -> tuple[int, str]:
    """(sequence, head hash) of the last checkpoint before event `before` whose signature holds,
    or the chain's start."""
    for checkpoint in reversed(checkpoints):
        if checkpoint.sequence < before and ledger.checkpoint_signature_valid(chain, checkpoint):
            return checkpoint.sequence, checkpoint.head_hash
    return 0, ledger.GENESIS_HASH


def ledger_export_write(
    *,
    country: Country | None,
    out: BinaryIO,
    first: int | None = None,
    last: int | None = None,
    filename: str = "ledger-export.zip",
    bounded: bool = False,
) -> dict:
    """Write the zip to `out`, streaming the events; returns a summary. `bounded`: `first` and
    `last` are already what ledger_segment_bounds answered, in this transaction.

    A checkpoint must sign event `last`, but only over a chain that verifies: the portal never
    signs a chain it has found broken (the export then says it is not anchored). When none signs
    it yet, the events from the last checkpoint before it whose signature holds (or from the chain's
    start, if none) up to `last` are verified in the same pass that writes the segment, so that its
    events are read once, not once to verify and again to export. What that checkpoint signed is
    not read again: the signature vouches for it, the offline verifier checks the exported events
    against it, and the nightly verification (ledger_verify_all) walks every chain whole.
    `country` None: the platform chain."""
    if not bounded:
        first, last = ledger_segment_bounds(country=country, first=first, last=last)
    chain, event_model, checkpoint_model, extra = _chain(country)
    with _reading(country):
        checkpoints = list(checkpoint_model.objects.filter(**extra).order_by("sequence"))
    # Anchored by the current key: a checkpoint of a retired key is signed again (the offline
    # verifier trusts, by default, only the key whose fingerprint it prints).
    current = signing.public_key_id()
    anchored = any(checkpoint.sequence == last and checkpoint.key_id == current for checkpoint in checkpoints)
    base = None if anchored else _verified_base(chain, checkpoints, before=last)
    report, hashes = None, {}
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        with _reading(country):
            # Chained events only: one committed a moment ago may still wait for its place.
            events = event_model.objects.filter(**extra, sequence__isnull=False)
            # The segment, and before it what verification needs: the events after its base.
            start = first if anchored else min(first, base[0] + 1)
            events = events.filter(sequence__gte=start, sequence__lte=last)
            rows = events.order_by("sequence").values_list(*ledger.EVENT_COLUMNS).iterator(chunk_size=5000)
            with archive.open("events.jsonl", "w", force_zip64=True) as events_file:
                segment = _Segment(chain, events_file, first, last)
                passing = segment.passing(rows)
                if not anchored:
                    report = ledger.ChainReport(chain)
                    after_base = (row for row in passing if row[0] > base[0])
                    hashes = ledger.chain_rows_verify(report, after_base, [], wanted={last}, after=base)
                for _row in passing:  # what verification left unread (every row, when none was needed)
                    pass
        if report is not None and report.ok and last in hashes:
            with _joined(country):
                checkpoints.append(ledger.checkpoint_store(country=country, sequence=last, head_hash=hashes[last]))
        signed = [checkpoint for checkpoint in checkpoints if first <= checkpoint.sequence <= last]
        archive.writestr("checkpoints.jsonl", "".join(_checkpoint_line(chain, c) for c in signed))
        archive.writestr("segment.json", segment_statement(chain, first, last))
        archive.writestr("ledger-key.pem", signing.public_key_pem())
        # Every key that signed, with its window: checkpoints from before a rotation name theirs.
        archive.writestr("ledger-keyring.json", json.dumps({"keys": signing.keyring()}, indent=2))
        archive.write(VERIFY_SCRIPT, "verify_ledger.py")
        archive.writestr(
            "README.txt",
            EXPORT_README.format(
                chain=chain, first=first, last=last, filename=filename, key_id=signing.public_key_id()
            ),
        )
    return {"chain": chain, "first": first, "last": last, "events": segment.count}
