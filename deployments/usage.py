"""Reads of an environment's use through the gateway, for its page: this month's tokens day by day
against the quota (a chart of tenants/charts.py, drawn with the same figures as a table), calls by outcome and refusals by rule. Two queries whatever the month holds."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, date, datetime

from django.db.models import Sum
from django.db.models.functions import TruncDay
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext, gettext_lazy
from django.utils.translation import gettext_lazy as _

from tenants.charts import Chart, timeline_chart
from tenants.charts import Day as ChartDay
from tenants.languages.formatting import long_date, month_name

from .models import Environment, UsageHour

# What each refusal code means, for people (the gateway's codes are the keys).
REFUSAL_LABELS = {
    "environment_stopped": _(gettext_lazy("Stopped with the kill switch")),
    "environment_suspended": _(gettext_lazy("Environment suspended")),
    "engagement_suspended": _(gettext_lazy("Engagement suspended")),
    "no_active_engagement": _(gettext_lazy("No active engagement")),
    "environment_decommissioned": _(gettext_lazy("Environment decommissioned")),
    "environment_expired": _(gettext_lazy("Approval expired")),
    "capability_not_approved": _(gettext_lazy("Capability not approved")),
    "model_not_approved": _(gettext_lazy("Model not approved")),
    "human_review_required": _(gettext_lazy("No human review declared")),
    "data_classification_not_approved": _(gettext_lazy("Data classification above the approval")),
    "region_not_approved": _(gettext_lazy("Region not approved")),
    "no_upstream_for_region": _(gettext_lazy("No upstream for the region")),
    "rate_limit_exceeded": _(gettext_lazy("Rate limit")),
    "insufficient_quota": _(gettext_lazy("Monthly quota used up")),
    "quota_in_flight": _(gettext_lazy("Quota held by calls in progress")),
    "credential_revoked": _(gettext_lazy("Revoked credential")),
    "policy_unavailable": _(gettext_lazy("Policy not yet published")),
}
OUTCOME_LABELS = {
    "ok": _(gettext_lazy("Answered")),
    "client_closed": _(gettext_lazy("Caller went away mid-stream")),
    "stopped": _(gettext_lazy("Stopped mid-stream")),
    "upstream_error": _(gettext_lazy("Upstream failed")),
    "upstream_broken": _(gettext_lazy("Upstream stream broke")),
}


@dataclass
class Day:
    day: int
    tokens: int
    cumulative: int


@dataclass
class UsageSummary:
    month: str
    quota: int
    used: int
    percent: int
    days: list[Day]
    calls: int
    outcomes: list[tuple[str, str, int]]
    refusals: list[tuple[str, str, int]]
    chart: Chart | None = None

    @property
    def month_shown(self) -> str:
        """The month as the reader writes it (`month` is its ISO key, "2026-12")."""
        return month_name(self.month)

    @property
    def refused(self) -> int:
        return sum(count for _, _, count in self.refusals)


def _chart(days: list[Day], quota: int, days_in_month: int, month: str, used: int):
    """Bars of each day's tokens and a line of the month's running total, against the quota: drawn
    by the portal's one chart helper (tenants/charts.py, `{% chart %}`)."""
    return timeline_chart(
        key="usage-chart",
        title=_("Tokens this month, day by day, against the quota"),
        description=gettext("%(used)s tokens used of a monthly quota of %(quota)s; the table below gives each day.")
        % {"used": number_format(used, force_grouping=True), "quota": number_format(quota, force_grouping=True)},
        label_header=_("Day"),
        value_header=_("Tokens"),
        cumulative_header=_("Month so far"),
        days=[
            ChartDay(
                f"{month}-{d.day:02d}", d.tokens, str(d.day), long_date(date.fromisoformat(f"{month}-{d.day:02d}"))
            )
            for d in days
        ],
        slots=days_in_month,
        limit=quota,
        limit_label=_("Quota"),
    )


def usage_summary(*, environment: Environment, now: datetime | None = None) -> UsageSummary:
    """This month's use of the environment through the gateway (UTC months), in the caller's
    country context."""
    now = now or timezone.now()
    start = now.astimezone(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    days_in_month = calendar.monthrange(start.year, start.month)[1]
    hours = UsageHour.objects.filter(country_id=environment.country_id, environment=environment, hour__gte=start)
    by_day = dict(
        hours.annotate(day=TruncDay("hour", tzinfo=UTC))
        .values("day")
        .annotate(tokens=Sum("total_tokens"))
        .values_list("day", "tokens")
    )
    days, cumulative = [], 0
    for number in range(1, min(now.astimezone(UTC).day, days_in_month) + 1):
        tokens = int(by_day.get(start.replace(day=number), 0) or 0)
        cumulative += tokens
        days.append(Day(number, tokens, cumulative))
    outcomes: dict[str, int] = {}
    refusals: dict[str, int] = {}
    calls = 0
    for row_calls, row_outcomes, row_refusals in hours.values_list("calls", "outcomes", "refusals"):
        calls += row_calls
        for name, count in (row_outcomes or {}).items():
            outcomes[name] = outcomes.get(name, 0) + int(count)
        for name, count in (row_refusals or {}).items():
            refusals[name] = refusals.get(name, 0) + int(count)
    quota = environment.monthly_token_quota
    used = cumulative
    return UsageSummary(
        month=start.strftime("%Y-%m"),
        quota=quota,
        used=used,
        percent=min(999, 100 * used // max(quota, 1)),
        days=days,
        calls=calls,
        outcomes=sorted(((k, OUTCOME_LABELS.get(k, k), v) for k, v in outcomes.items()), key=lambda o: -o[2]),
        refusals=sorted(((k, REFUSAL_LABELS.get(k, k), v) for k, v in refusals.items()), key=lambda o: -o[2]),
        chart=_chart(days, quota, days_in_month, start.strftime("%Y-%m"), used),
    )
