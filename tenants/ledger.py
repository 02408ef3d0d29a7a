"""The country event chain: one service call records an event; appends are serialised per country
so the chain never forks; each event's SHA-256 covers its canonical encoding and the previous hash."""
from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timezone as dt_timezone
from typing import Any

from django.db import connection
from django.utils import timezone

from .isolation import country_context
from .models import Country, CountryEvent

GENESIS_HASH = "0" * 64
MAX_PAYLOAD_BYTES = 4096
# Payload keys that would carry a secret or personal plaintext are refused outright.
# Key identifiers (`key_id`) are fine; key material is not.
FORBIDDEN_PAYLOAD_WORDS = frozenset({"password", "passphrase", "secret", "token", "email", "phone", "credential",
                                     "plaintext", "address", "name"})
FORBIDDEN_PAYLOAD_KEYS = frozenset({"key", "api_key", "apikey", "private_key", "data_key", "master_key"})


class PayloadRefused(ValueError):
    pass


def _format_time(at: datetime) -> str:
    return at.astimezone(dt_timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical_bytes(fields: dict[str, Any]) -> bytes:
    """The byte string an event's hash is taken over: sorted keys, no whitespace, UTF-8."""
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def event_fields(*, country_code: str, sequence: int, at: datetime, actor_id: int | None, actor_role: str,
                 action: str, target_type: str, target_id: str, payload: dict, prev_hash: str) -> dict[str, Any]:
    return {
        "country": country_code,
        "sequence": sequence,
        "at": _format_time(at),
        "actor": actor_id,
        "actor_role": actor_role,
        "action": action,
        "target_type": target_type,
        "target_id": target_id,
        "payload": payload,
        "prev_hash": prev_hash,
    }


def _check_payload(payload: dict) -> None:
    def walk(value: Any) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                lowered = str(key).lower()
                words = set(re.split(r"[^a-z0-9]+", lowered))
                if lowered in FORBIDDEN_PAYLOAD_KEYS or words & FORBIDDEN_PAYLOAD_WORDS:
                    raise PayloadRefused(f"Event payloads may not carry {key!r}: no secrets or personal data.")
                walk(inner)
        elif isinstance(value, (list, tuple)):
            for inner in value:
                walk(inner)

    walk(payload)
    if len(canonical_bytes(payload)) > MAX_PAYLOAD_BYTES:
        raise PayloadRefused(f"Event payloads are limited to {MAX_PAYLOAD_BYTES} bytes.")


def _lock_chain(country_id: int) -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # Transaction-scoped: released at commit or rollback of the change being recorded.
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [0x504F5254, country_id])


def event_record(
    *,
    country: Country,
    action: str,
    actor: Any = None,
    actor_role: str = "",
    target: Any = None,
    payload: dict | None = None,
) -> CountryEvent:
    """Append one event to `country`'s chain, inside the caller's transaction."""
    payload = dict(payload or {})
    _check_payload(payload)
    target_type = target._meta.label_lower if target is not None and hasattr(target, "_meta") else ""
    target_id = str(target.pk) if target is not None and hasattr(target, "pk") else ""
    actor_id = actor.pk if actor is not None and getattr(actor, "is_authenticated", False) else None
    with country_context(country):
        _lock_chain(country.pk)
        last = (
            CountryEvent.objects.filter(country_id=country.pk)
            .order_by("-sequence")
            .values_list("sequence", "hash")
            .first()
        )
        sequence, prev_hash = (last[0] + 1, last[1]) if last else (1, GENESIS_HASH)
        at = timezone.now()
        fields = event_fields(
            country_code=country.code, sequence=sequence, at=at, actor_id=actor_id, actor_role=actor_role,
            action=action, target_type=target_type, target_id=target_id, payload=payload, prev_hash=prev_hash,
        )
        return CountryEvent.objects.create(
            country=country,
            sequence=sequence,
            at=at,
            actor_id=actor_id,
            actor_label=getattr(actor, "username", "") if actor_id else "system",
            actor_role=actor_role,
            action=action,
            target_type=target_type,
            target_id=target_id,
            payload=payload,
            prev_hash=prev_hash,
            hash=hashlib.sha256(canonical_bytes(fields)).hexdigest(),
        )


@dataclass
class ChainReport:
    country_code: str
    events: int
    ok: bool
    problem: str = ""


def chain_verify(*, country: Country, events: Iterable[CountryEvent] | None = None) -> ChainReport:
    """Recompute the chain of one country from its first event; report the first break."""
    with country_context(country):
        rows = events if events is not None else CountryEvent.objects.filter(country_id=country.pk).order_by("sequence").iterator(chunk_size=2000)
        expected_prev, expected_seq, count = GENESIS_HASH, 1, 0
        for event in rows:
            count += 1
            if event.sequence != expected_seq:
                return ChainReport(country.code, count, False, f"sequence {event.sequence} where {expected_seq} was expected")
            if event.prev_hash != expected_prev:
                return ChainReport(country.code, count, False, f"event {event.sequence} does not follow the previous hash")
            fields = event_fields(
                country_code=country.code, sequence=event.sequence, at=event.at, actor_id=event.actor_id,
                actor_role=event.actor_role, action=event.action, target_type=event.target_type,
                target_id=event.target_id, payload=event.payload, prev_hash=event.prev_hash,
            )
            if hashlib.sha256(canonical_bytes(fields)).hexdigest() != event.hash:
                return ChainReport(country.code, count, False, f"event {event.sequence} was altered")
            expected_prev, expected_seq = event.hash, expected_seq + 1
        return ChainReport(country.code, count, True)
