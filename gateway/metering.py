"""The worker's side of metering: fold the gateway's hour counters (Redis) into the portal's usage
rows, the month's total, the quota alerts and, once an hour is over, the country's chain
(deployments.metering). Run by beat every GATEWAY_USAGE_FOLD_SECONDS."""

from __future__ import annotations

import logging
import time

from deployments import metering, policy, published
from tenants.country_state import CountryReadOnly
from tenants.models import Country

log = logging.getLogger(__name__)
# An hour is final this long after its end: every replica has settled its calls in it by then
# (a call is counted in the hour it ends in, by the replica's clock).
GRACE_SECONDS = 120


def usage_fold(*, now: float | None = None) -> int:
    """Fold every hour the gateway has counted; returns how many hours were folded."""
    now = time.time() if now is None else now
    client = policy.redis_client()
    names = policy.keys()
    folded = 0
    for raw_member in sorted(client.smembers(names.hours)):
        member = raw_member.decode() if isinstance(raw_member, bytes) else str(raw_member)
        parsed = published.hour_member_parse(member)
        if parsed is None:
            client.srem(names.hours, raw_member)
            continue
        country_id, environment_id, hour_start = parsed
        if not Country.objects.filter(pk=country_id).exists():
            client.srem(names.hours, raw_member)
            continue
        final = now >= hour_start + 3600 + GRACE_SECONDS
        counters = client.hgetall(names.hour(member))
        try:
            row = metering.usage_hour_fold(
                country_id=country_id,
                environment_id=environment_id,
                hour_start=hour_start,
                counters=counters,
                final=final,
            )
        except CountryReadOnly:
            # A country that left (its calls are refused since): its last hours cannot be written.
            log.warning("Usage of environment %s not folded: its country is read-only", environment_id)
            client.srem(names.hours, raw_member)
            continue
        except Exception:
            # One hour that cannot be folded never holds back the others; it is tried again next time.
            log.exception("Usage of environment %s for one hour could not be folded", environment_id)
            continue
        folded += 1
        if final or row is None:
            # The counters stay until they expire: a call settled later still lands in the row
            # (and on the chain, as a correction) when its hour comes back into the set.
            client.srem(names.hours, raw_member)
    return folded
