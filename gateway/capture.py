"""Prompts and outputs of an environment's calls, stored only when its country has turned it on
for that environment, for the retention it chose. The gateway seals each captured call under the
gateway key before it leaves the replica (Redis never holds it in clear); a worker opens it, seals
it again under the country's key into CapturedCall, and deletes it once its retention is over."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta

from django.db import transaction
from django.utils import timezone

from deployments import policy, published
from deployments.models import Environment
from tenants.isolation import country_context
from tenants.models import Country
from tenants.record.ledger import event_record

from .models import CapturedCall

log = logging.getLogger(__name__)
TEXT_LIMIT = 256 * 1024


def captured_ingest(*, limit: int = 500) -> int:
    """Move what the gateway captured into the portal, sealed under each country's key (worker)."""
    client = policy.redis_client()
    stream = policy.keys().captured
    key = policy.gateway_key()
    fallbacks = published.gateway_key_fallbacks_load()  # captured under the key a rotation replaced
    stored = 0
    for entry_id, fields in client.xrange(stream, count=limit):
        try:
            country_id = int(fields[b"country"])
            environment_id = int(fields[b"environment"])
            record = json.loads(
                published.open_for_gateway(
                    key,
                    fields[b"sealed"].decode(),
                    environment_id=environment_id,
                    version=0,
                    purpose="capture",
                    fallbacks=fallbacks,
                )
            )
        except (KeyError, ValueError, published.CannotOpen):
            log.error("A captured call could not be read; it is dropped")
            client.xdel(stream, entry_id)
            continue
        if Country.objects.filter(pk=country_id).exists():
            stored += _store(country_id, environment_id, record)
        client.xdel(stream, entry_id)
    return stored


@transaction.atomic
def _store(country_id: int, environment_id: int, record: dict) -> int:
    with country_context(country_id):
        environment = Environment.objects.filter(pk=environment_id).first()
        if environment is None:
            return 0
        at = datetime.fromtimestamp(float(record.get("at") or 0), tz=UTC)
        _, created = CapturedCall.objects.get_or_create(
            environment=environment,
            call_id=str(record.get("call", ""))[:32],
            defaults={
                "country_id": country_id,
                "at": at,
                "endpoint": str(record.get("endpoint", ""))[:40],
                "model": str(record.get("model", ""))[:100],
                "prompt": str(record.get("prompt", ""))[:TEXT_LIMIT],
                "output": str(record.get("output", ""))[:TEXT_LIMIT],
                "review": str(record.get("review", ""))[:200],
                "tokens": int(record.get("tokens") or 0),
                "outcome": str(record.get("outcome", ""))[:20],
                "expires_at": at + timedelta(days=environment.capture_retention_days),
            },
        )
    return int(created)


def captured_purge(*, now=None) -> int:
    """Delete every captured call past its retention, country by country, on the record (beat)."""
    now = now or timezone.now()
    deleted = 0
    for country in Country.objects.order_by("pk"):
        with country_context(country):
            count, _ = CapturedCall.objects.filter(expires_at__lte=now).delete()
            if count:
                event_record(
                    country=country,
                    action="gateway.captures_deleted",
                    actor_role="system",
                    payload={"calls": count, "before": now.strftime("%Y-%m-%dT%H:%MZ")},
                )
        deleted += count
    return deleted
