"""Usage through the gateway, on the portal's side: an hour of one environment's counters (kept by
the gateway in Redis) folded into its usage row, the month's total and its quota alerts; once the
hour is over, its figures go on the country's chain, so that a country can check its bill offline
with the ledger verifier. Folding is idempotent: the gateway's counters only grow, the row takes
their values, and only the difference is added to the month."""

from __future__ import annotations

from datetime import UTC, datetime

from django.db import transaction
from django.utils import timezone

from tenants.isolation import country_context
from tenants.models import Country
from tenants.record.ledger import event_record

from .environments import month_roll, quota_alert
from .models import Environment, UsageHour

SUMS = {
    "calls": "calls",
    "in": "input_tokens",
    "out": "output_tokens",
    "total": "total_tokens",
    "est": "estimated_tokens",
    "reviewed": "reviewed_calls",
}
MAX_COUNT = 10**15


def _counts(raw: dict) -> tuple[dict[str, int], dict[str, int], dict[str, int]]:
    """Sums, outcomes and refusals out of the gateway's hour counters (names and whole numbers)."""
    sums, outcomes, refusals = {}, {}, {}
    for name, value in raw.items():
        name = name.decode() if isinstance(name, bytes) else str(name)
        try:
            number = int(value)
        except (TypeError, ValueError):
            continue
        if not 0 <= number < MAX_COUNT:
            continue
        if name in SUMS:
            sums[SUMS[name]] = number
        elif name.startswith("outcome:") and len(name) <= 60:
            outcomes[name.removeprefix("outcome:")] = number
        elif name.startswith("refused:") and len(name) <= 60:
            refusals[name.removeprefix("refused:")] = number
    return sums, outcomes, refusals


@transaction.atomic
def usage_hour_fold(
    *, country_id: int, environment_id: int, hour_start: int, counters: dict, final: bool, now=None
) -> UsageHour | None:
    """Fold one hour of one environment (worker). `final`: the hour is over, record it."""
    now = now or timezone.now()
    country = Country.objects.get(pk=country_id)
    hour = datetime.fromtimestamp(hour_start, tz=UTC)
    sums, outcomes, refusals = _counts(counters)
    with country_context(country):
        environment = (
            Environment.objects.select_for_update().select_related("request").filter(pk=environment_id).first()
        )
        if environment is None:
            return None
        row, _ = UsageHour.objects.select_for_update().get_or_create(
            environment=environment, hour=hour, defaults={"country": country}
        )
        before = row.total_tokens
        for field_name, value in sums.items():
            # Counters only grow; a smaller figure (Redis lost the hour) never takes away what was folded.
            setattr(row, field_name, max(getattr(row, field_name), value))
        row.outcomes = {k: max(v, int((row.outcomes or {}).get(k, 0))) for k, v in {**row.outcomes, **outcomes}.items()}
        row.refusals = {k: max(v, int((row.refusals or {}).get(k, 0))) for k, v in {**row.refusals, **refusals}.items()}
        row.updated_at = now
        added = row.total_tokens - before
        fields = []
        if added and hour.strftime("%Y-%m") == now.strftime("%Y-%m"):
            fields = month_roll(environment, now)
            environment.tokens_used += added
            fields += ["tokens_used", *quota_alert(country=country, environment=environment)]
            environment.save(update_fields=fields)
        if final and (row.recorded_at is None or added):
            event_record(
                country=country,
                action="gateway.usage_hour" if row.recorded_at is None else "gateway.usage_hour_corrected",
                actor_role="system",
                target=environment,
                payload={
                    "environment": environment.pk,
                    "hour": hour.strftime("%Y-%m-%dT%H:00Z"),
                    "calls": row.calls,
                    "refused": row.refused,
                    "input_units": row.input_tokens,
                    "output_units": row.output_tokens,
                    "units": row.total_tokens,
                    "estimated_units": row.estimated_tokens,
                    "reviewed_calls": row.reviewed_calls,
                },
            )
            row.recorded_at = now
        row.save()
    return row
