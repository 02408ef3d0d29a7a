"""The ledger (DESIGN §5): one service call records an event; appends are serialised per chain so
no chain ever forks; each event's SHA-256 covers its canonical encoding and the previous hash;
checkpoints sign a chain's head with the portal's Ed25519 key; verification recomputes it all.

An event is inserted unchained (no sequence, empty hashes) inside the caller's transaction, with no
lock, and committed unchained with the change it records. Right after that commit (Django's
on_commit, in the same request or task, so the caller finds its events chained when it returns) a
short transaction of its own chains every committed event still waiting on that chain, in one batch
under the chain's advisory lock (portal_chain_committed(), tenants migration 0025): the lock is held
for one batch and one flush, never across a recording transaction. A sweep (beat, and a worker's
start) chains what a crash left waiting. Gapless and fork-free (one chainer per chain at a time, the
unique sequence underneath); a rolled-back transaction leaves no event; a committed event is never
lost (it waits until chained). Readers of the chain read chained events only (`sequence` set).

The canonical encoding here and in tenants/offline/verify_ledger.py must stay identical."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from django.db import connection, models, transaction
from django.utils import timezone

from tenants.isolation import country_context, joined_context
from tenants.models import Country
from tenants.record import signing
from tenants.record.chaining import chain_catch_up, chain_lock, chain_recorded
from tenants.record.models import (
    PLATFORM_CHAIN,
    CountryCheckpoint,
    CountryEvent,
    LedgerAlert,
    PlatformCheckpoint,
    PlatformEvent,
)

GENESIS_HASH = "0" * 64
MAX_PAYLOAD_BYTES = 4096
# Payload keys that would carry a secret or personal plaintext are refused outright. Key identifiers
# (`key_id`) are fine; key material is not. A reason is named by id with its digest (reason_record).
FORBIDDEN_PAYLOAD_WORDS = frozenset(
    {"password", "passphrase", "secret", "token", "email", "phone", "credential", "plaintext", "address", "name"}
)
FORBIDDEN_PAYLOAD_KEYS = frozenset({"key", "api_key", "apikey", "private_key", "data_key", "master_key"})


class PayloadRefused(ValueError):
    pass


def format_time(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical_bytes(fields: dict[str, Any]) -> bytes:
    """The byte string hashes and signatures are taken over: sorted keys, no whitespace, UTF-8."""
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def event_fields(
    *,
    chain: str,
    sequence: int,
    at: datetime | str,
    actor_id: int | None,
    actor_role: str,
    action: str,
    target_type: str,
    target_id: str,
    payload: dict,
    prev_hash: str,
) -> dict[str, Any]:
    return {
        "chain": chain,
        "sequence": sequence,
        "at": at if isinstance(at, str) else format_time(at),
        "actor": actor_id,
        "actor_role": actor_role,
        "action": action,
        "target_type": target_type,
        "target_id": target_id,
        "payload": payload,
        "prev_hash": prev_hash,
    }


def event_hash(fields: dict[str, Any]) -> str:
    return hashlib.sha256(canonical_bytes(fields)).hexdigest()


def checkpoint_fields(*, chain: str, sequence: int, head_hash: str, at: datetime | str, key_id: str) -> dict[str, Any]:
    return {
        "chain": chain,
        "sequence": sequence,
        "head_hash": head_hash,
        "at": at if isinstance(at, str) else format_time(at),
        "key_id": key_id,
    }


def _check_payload(payload: dict) -> None:
    def walk(value: Any) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                # camelCase and plurals count too: newPassword, contactEmail, emails.
                spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", str(key)).lower()
                words = {w for w in re.split(r"[^a-z0-9]+", spaced) if w}
                words |= {w[:-1] for w in words if w.endswith("s")}
                lowered = str(key).lower()
                if (
                    lowered in FORBIDDEN_PAYLOAD_KEYS
                    or spaced in FORBIDDEN_PAYLOAD_KEYS
                    or words & FORBIDDEN_PAYLOAD_WORDS
                ):
                    raise PayloadRefused(f"Event payloads may not carry {key!r}: no secrets or personal data.")
                walk(inner)
        elif isinstance(value, (list, tuple)):
            for inner in value:
                walk(inner)
        elif isinstance(value, float):
            # Floats may not survive a database round trip digit for digit; the hash must.
            raise PayloadRefused("Event payloads carry whole numbers and text only, not decimals.")
        elif value is not None and not isinstance(value, (str, int, bool)):
            raise PayloadRefused(f"Event payloads carry JSON values only, not {type(value).__name__}.")

    walk(payload)
    if isinstance(payload.get("reason"), int) and not isinstance(payload.get("reason_hmac"), str):
        raise PayloadRefused("An event naming a reason carries its digest, for the verifier: use reason_record.")
    if len(canonical_bytes(payload)) > MAX_PAYLOAD_BYTES:
        raise PayloadRefused(f"Event payloads are limited to {MAX_PAYLOAD_BYTES} bytes.")


def _describe(actor: Any, target: Any) -> tuple[int | None, str, str, str]:
    target_type = target._meta.label_lower if target is not None and hasattr(target, "_meta") else ""
    target_id = str(target.pk) if target is not None and hasattr(target, "pk") else ""
    actor_id = actor.pk if actor is not None and getattr(actor, "is_authenticated", False) else None
    label = getattr(actor, "username", "") if actor_id else "system"
    return actor_id, label, target_type, target_id


def _append(
    model: type[models.Model],
    chain: str,
    extra: dict,
    *,
    action: str,
    actor: Any,
    actor_role: str,
    target: Any,
    payload: dict | None,
    chained: bool = False,
):
    payload = dict(payload or {})
    _check_payload(payload)
    actor_id, actor_label, target_type, target_id = _describe(actor, target)
    if connection.vendor != "postgresql":
        # The embedded demo (SQLite, one writer at a time) chains at once, in Python.
        last = model.objects.filter(**extra).order_by("-sequence").values_list("sequence", "hash").first()
        sequence, prev_hash = (last[0] + 1, last[1]) if last else (1, GENESIS_HASH)
    else:
        sequence, prev_hash = None, ""  # chained by the database, right after the commit
    at = timezone.now()
    own_hash = ""
    if sequence is not None:
        own_hash = event_hash(
            event_fields(
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
        )
    event = model.objects.create(
        **extra,
        sequence=sequence,
        at=at,
        actor_id=actor_id,
        actor_label=actor_label,
        actor_role=actor_role,
        action=action,
        target_type=target_type,
        target_id=target_id,
        payload=payload,
        prev_hash=prev_hash,
        hash=own_hash,
    )
    if sequence is None and chain_recorded(extra.get("country_id"), at_once=chained) and chained:
        event.refresh_from_db(fields=["sequence", "prev_hash", "hash"])
    return event


def event_record(
    *,
    country: Country,
    action: str,
    actor: Any = None,
    actor_role: str = "",
    target: Any = None,
    payload: dict | None = None,
    chained: bool = False,
) -> CountryEvent:
    """Record one event on `country`'s chain, inside the caller's transaction, without waiting for
    any other writer: it is committed with that transaction and chained right after its commit (so
    the returned event has no sequence or hash yet), or at once with `chained`, for a caller that
    must name its place (the chain's lock is then held until the transaction ends). It joins the
    caller's transaction when that one holds the country already: no savepoint of its own, and a
    failure to record undoes the change it records (tenants.isolation.joined_context)."""
    with joined_context(country):
        return _append(
            CountryEvent,
            country.code,
            {"country_id": country.pk},
            action=action,
            actor=actor,
            actor_role=actor_role,
            target=target,
            payload=payload,
            chained=chained,
        )


def platform_event_record(
    *, action: str, actor: Any = None, actor_role: str = "", target: Any = None, payload: dict | None = None
) -> PlatformEvent:
    """Record one event on the platform chain (sign-ins, assignments, verification runs), chained
    right after the commit of the caller's transaction (or of its own when there is none)."""
    with transaction.atomic():
        return _append(
            PlatformEvent,
            PLATFORM_CHAIN,
            {},
            action=action,
            actor=actor,
            actor_role=actor_role,
            target=target,
            payload=payload,
        )


# --- Checkpoints ------------------------------------------------------------------------------------


def checkpoint_create(*, country: Country | None = None, force: bool = False):
    """Sign the head of a chain. Skipped (None) when it is empty or its head signed, unless `force`."""
    event_model, checkpoint_model = (
        (CountryEvent, CountryCheckpoint) if country else (PlatformEvent, PlatformCheckpoint)
    )
    extra = {"country_id": country.pk} if country else {}
    with country_context(country) if country else transaction.atomic():
        chain_catch_up(country=country)  # what waits is chained first, in this transaction
        chain_lock(country=country)
        head = (
            event_model.objects.filter(**extra, sequence__isnull=False)
            .order_by("-sequence")
            .values_list("sequence", "hash")
            .first()
        )
        if head is None:
            return None
        last = checkpoint_model.objects.filter(**extra).order_by("-sequence").values_list("sequence", flat=True).first()
        if last == head[0] and not force:
            return None
        return checkpoint_store(country=country, sequence=head[0], head_hash=head[1])


def checkpoint_store(*, country: Country | None, sequence: int, head_hash: str):
    """Sign and keep the statement that the chain had `head_hash` at `sequence`. Callers make sure
    the chain up to there is sound: the portal never signs what it has not verified or written."""
    chain = country.code if country else PLATFORM_CHAIN
    checkpoint_model = CountryCheckpoint if country else PlatformCheckpoint
    extra = {"country_id": country.pk} if country else {}
    at = timezone.now()
    key_id = signing.public_key_id()
    message = canonical_bytes(
        checkpoint_fields(chain=chain, sequence=sequence, head_hash=head_hash, at=at, key_id=key_id)
    )
    return checkpoint_model.objects.create(
        **extra, sequence=sequence, head_hash=head_hash, at=at, key_id=key_id, signature=signing.sign(message)
    )


def checkpoint_signature_valid(chain: str, checkpoint) -> bool:
    """Signed by the keyring's key the checkpoint names, within that key's window."""
    message = canonical_bytes(
        checkpoint_fields(
            chain=chain,
            sequence=checkpoint.sequence,
            head_hash=checkpoint.head_hash,
            at=checkpoint.at,
            key_id=checkpoint.key_id,
        )
    )
    return signing.signature_valid_under(message, checkpoint.signature, checkpoint.key_id, checkpoint.at)


# --- Verification -------------------------------------------------------------------------------


@dataclass
class ChainReport:
    chain: str
    events: int = 0
    checkpoints: int = 0
    ok: bool = True
    problems: list[str] = field(default_factory=list)

    @property
    def problem(self) -> str:
        return "; ".join(self.problems)

    def fail(self, problem: str) -> None:
        self.ok = False
        self.problems.append(problem)


EVENT_COLUMNS = (
    "sequence",
    "at",
    "actor_id",
    "actor_role",
    "action",
    "target_type",
    "target_id",
    "payload",
    "prev_hash",
    "hash",
)


_encode_text = json.encoder.encode_basestring  # the C escaper json.dumps(ensure_ascii=False) uses
_encode_payload = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode


def _at_text(at: datetime | str) -> str:
    if isinstance(at, datetime) and at.tzinfo is not None and not at.utcoffset():
        return at.isoformat(timespec="microseconds")[:26] + "Z"
    return at if isinstance(at, str) else format_time(at)


def _verified_hash(
    chain_text: str,
    sequence: int,
    at: datetime | str,
    actor_id: int | None,
    actor_role: str,
    action: str,
    target_type: str,
    target_id: str,
    payload: Any,
    prev_hash: str,
) -> str:
    """event_hash(event_fields(...)), written out: the same bytes (the keys in sorted order, each
    value encoded as json.dumps would), about twice as fast, for verification's tight loop. A test
    holds the two equal."""
    text = (
        f'{{"action":{_encode_text(action)},"actor":{"null" if actor_id is None else int(actor_id)},'
        f'"actor_role":{_encode_text(actor_role)},"at":{_encode_text(_at_text(at))},"chain":{chain_text},'
        f'"payload":{_encode_payload(payload)},"prev_hash":{_encode_text(prev_hash)},"sequence":{int(sequence)},'
        f'"target_id":{_encode_text(target_id)},"target_type":{_encode_text(target_type)}}}'
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# Verification reads each event's columns as text (the time written out by the database in the
# encoding's own form, the payload as its JSON text), through a server-side cursor, so the loop
# builds no model, no dict and no datetime per event. A time outside years 1-9999 (which no
# Python datetime, and so no event recorded by the portal, can hold) comes back NULL: refused.
_VERIFY_SELECT = (
    "SELECT sequence, CASE WHEN at >= '0001-01-01T00:00:00Z' AND at < '10000-01-01T00:00:00Z' "
    """THEN to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') END, """
    "actor_id, actor_role, action, target_type, target_id, payload::text, prev_hash, hash "
    "FROM {table} WHERE {where}sequence IS NOT NULL ORDER BY sequence"
)
VERIFY_BATCH = 5000


def _stored_rows(event_model: type[models.Model], country: Country | None) -> Iterable[tuple]:
    """The chained events in sequence order, as tuples of EVENT_COLUMNS with `at` as text and the
    payload as JSON text, fetched VERIFY_BATCH at a time (memory stays flat)."""
    table = connection.ops.quote_name(event_model._meta.db_table)
    sql = _VERIFY_SELECT.format(table=table, where="country_id = %s AND " if country else "")
    with connection.chunked_cursor() as cursor:
        cursor.execute(sql, [country.pk] if country else [])
        while batch := cursor.fetchmany(VERIFY_BATCH):
            yield from batch


def _verify_rows(
    report: ChainReport, rows: Iterable[tuple], wanted: set[int], *, after: tuple[int, str] = (0, GENESIS_HASH)
) -> dict[int, str]:
    """Walk the events in sequence order; return sequence → hash of the `wanted` sequences (those
    checkpoints name), so memory stays flat however long the chain. `after`: the (sequence, hash)
    the rows follow, the chain's start unless given."""
    expected_prev, expected_seq = after[1], after[0] + 1
    hashes: dict[int, str] = {}
    chain_text = _encode_text(report.chain)
    for sequence, at, actor_id, actor_role, action, target_type, target_id, payload, prev_hash, own in rows:
        report.events += 1
        if not _in_place(report, sequence, at, prev_hash, expected_seq, expected_prev):
            return hashes
        computed = _verified_hash(
            chain_text, sequence, at, actor_id, actor_role, action, target_type, target_id, payload, prev_hash
        )
        if computed != own:
            report.fail(f"event {sequence} was altered after it was recorded")
            return hashes
        if sequence in wanted:
            hashes[sequence] = own
        expected_prev, expected_seq = own, expected_seq + 1
    return hashes


def _in_place(report: ChainReport, sequence, at, prev_hash: str, expected_seq: int, expected_prev: str) -> bool:
    if sequence != expected_seq:
        report.fail(f"sequence {sequence} where {expected_seq} was expected (events missing or inserted)")
    elif prev_hash != expected_prev:
        report.fail(f"event {sequence} does not follow the hash of event {sequence - 1}")
    elif at is None:
        report.fail(f"event {sequence} has a time no event can hold")
    else:
        return True
    return False


def _verify_stored_rows(report: ChainReport, rows: Iterable[tuple], wanted: set[int]) -> dict[int, str]:
    """_verify_rows over the rows _stored_rows reads (the time as text, the payload as JSON text,
    read with json.loads as the ORM would), with _verified_hash's encoding written inline: the same
    bytes (tests hold the two equal over every kind of value), without a call per event."""
    expected_prev, expected_seq = GENESIS_HASH, 1
    hashes: dict[int, str] = {}
    chain = _encode_text(report.chain)
    text, encode_payload, loads, sha256 = _encode_text, _encode_payload, json.loads, hashlib.sha256
    for sequence, at, actor_id, actor_role, action, target_type, target_id, payload, prev_hash, own in rows:
        if sequence != expected_seq or prev_hash != expected_prev or at is None:
            report.events = expected_seq
            _in_place(report, sequence, at, prev_hash, expected_seq, expected_prev)
            return hashes
        # prev_hash is the hash computed for the event before (hex digits): no escaping to do.
        computed = sha256(
            f'{{"action":{text(action)},"actor":{"null" if actor_id is None else int(actor_id)},'
            f'"actor_role":{text(actor_role)},"at":{text(at)},"chain":{chain},'
            f'"payload":{encode_payload(loads(payload))},"prev_hash":"{prev_hash}","sequence":{sequence},'
            f'"target_id":{text(target_id)},"target_type":{text(target_type)}}}'.encode()
        ).hexdigest()
        if computed != own:
            report.events = expected_seq
            report.fail(f"event {sequence} was altered after it was recorded")
            return hashes
        if sequence in wanted:
            hashes[sequence] = own
        expected_prev, expected_seq = own, expected_seq + 1
    report.events = expected_seq - 1
    return hashes


def _verify_checkpoints(report: ChainReport, checkpoints: Iterable, hashes: dict[int, str]) -> None:
    for checkpoint in checkpoints:
        report.checkpoints += 1
        if not checkpoint_signature_valid(report.chain, checkpoint):
            report.fail(f"checkpoint at {checkpoint.sequence} has no valid signature of the portal's key")
        elif checkpoint.sequence not in hashes and report.ok:
            report.fail(f"checkpoint at {checkpoint.sequence} names an event the chain no longer has")
        elif hashes.get(checkpoint.sequence, checkpoint.head_hash) != checkpoint.head_hash:
            report.fail(f"the chain differs from what checkpoint {checkpoint.sequence} signed")


def chain_verify(*, country: Country | None = None, events: Iterable | None = None) -> ChainReport:
    """Recompute a chain (a country's, or the platform's with no country) from its first event,
    and check every checkpoint against it. `events` (model instances) replaces the stored rows.
    Called outside a transaction, it first chains what waits; inside one, it reads the events
    chained so far without taking the chain's lock (which a long read would hold)."""
    report = ChainReport(country.code if country else PLATFORM_CHAIN)
    event_model, checkpoint_model = (
        (CountryEvent, CountryCheckpoint) if country else (PlatformEvent, PlatformCheckpoint)
    )
    extra = {"country_id": country.pk} if country else {}
    if events is None and not connection.in_atomic_block:
        chain_catch_up(country=country)  # in a short transaction of its own, before the long read
    with country_context(country) if country else transaction.atomic():
        checkpoints = list(checkpoint_model.objects.filter(**extra).order_by("sequence"))
        wanted = {c.sequence for c in checkpoints}
        if events is not None:
            rows = (tuple(getattr(e, c) for c in EVENT_COLUMNS) for e in events)
            hashes = _verify_rows(report, rows, wanted)
        elif connection.vendor == "postgresql":
            hashes = _verify_stored_rows(report, _stored_rows(event_model, country), wanted)
        else:
            rows = event_model.objects.filter(**extra).order_by("sequence").values_list(*EVENT_COLUMNS).iterator()
            hashes = _verify_rows(report, rows, wanted)
        _verify_checkpoints(report, checkpoints, hashes)
    return report


def chain_rows_verify(
    report: ChainReport, rows: Iterable[tuple], checkpoints: list, *, wanted=(), after: tuple[int, str] | None = None
) -> dict[int, str]:
    """What chain_verify does with the rows (EVENT_COLUMNS, in sequence order from the first event,
    or from the one after `after`, a (sequence, hash) the caller trusts) and the checkpoints the
    caller read: `report` says whether they verify. Returns sequence → hash of the events the
    checkpoints name and of the `wanted` ones (as far as the chain verified)."""
    hashes = _verify_rows(
        report, rows, {c.sequence for c in checkpoints} | set(wanted), after=after or (0, GENESIS_HASH)
    )
    _verify_checkpoints(report, checkpoints, hashes)
    return hashes


def alert_raise(report: ChainReport) -> LedgerAlert | None:
    """Open an alert for a chain that does not verify (once per distinct problem until resolved)."""
    if report.ok:
        return None
    alert, _ = LedgerAlert.objects.get_or_create(
        chain=report.chain, problem=report.problem[:300], resolved_at=None, defaults={"found_at": timezone.now()}
    )
    return alert


def ledger_verify_all(*, record: bool = True, say: Callable[[str], None] | None = None) -> list[ChainReport]:
    """Verify every chain; record the run on the platform chain and raise an alert per break."""
    reports = [chain_verify()]
    if say:
        say(f"  platform: {reports[0].events} events, {'ok' if reports[0].ok else reports[0].problem}")
    for country in Country.objects.order_by("code"):
        report = chain_verify(country=country)
        reports.append(report)
        if say:
            say(
                f"  {country.code}: {report.events} events, {report.checkpoints} checkpoints, "
                f"{'ok' if report.ok else report.problem}"
            )
    if record:
        broken = [r for r in reports if not r.ok]
        for report in broken:
            alert_raise(report)
        platform_event_record(
            action="ledger.verified",
            payload={
                "chains": len(reports),
                "events": sum(r.events for r in reports),
                "ok": not broken,
                "broken": [r.chain for r in broken],
            },
        )
        if broken:
            from tenants.record.alerts import ledger_break_notify  # deferred: mail is not needed otherwise

            ledger_break_notify(reports=broken)
    return reports
