"""The gateway on the environment's page: live usage against the quota (an SVG chart with the same
figures as a table), calls and refusals by reason, and the kill switch — for the country admin and
the partner manager, on the record, published to the gateway through the outbox — each route for
the owner, a same-country member, another country's member and an anonymous visitor."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from deployments.models import Environment, UsageHour
from tenants.isolation import country_context
from tenants.jobs.models import OutboxMessage
from tenants.record.models import ActionReason, CountryEvent
from tests.deployments.test_views import active, as_user
from tests.tenants.confirming import on_record

pytestmark = pytest.mark.django_db


def state(cast, environment) -> Environment:
    with country_context(cast.fr):
        return Environment.objects.get(pk=environment.pk)


def test_the_page_shows_usage_against_the_quota_as_a_chart_and_a_table(client, cast, ready):
    _, environment = active(cast, ready)
    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    with country_context(cast.fr):
        UsageHour.objects.create(
            country=cast.fr,
            environment=environment,
            hour=now,
            calls=3,
            total_tokens=1200,
            outcomes={"ok": 3},
            refusals={"insufficient_quota": 2, "model_not_approved": 1},
        )
        if now.day > 1:
            UsageHour.objects.create(
                country=cast.fr,
                environment=environment,
                hour=now - timedelta(days=1),
                calls=1,
                total_tokens=300,
                outcomes={"ok": 1},
            )
    url = f"/c/fr/deployments/environments/{environment.pk}/"
    html = as_user(client, cast.viewer).get(url).content.decode()
    assert 'id="usage-chart"' in html and f'data-limit="{environment.monthly_token_quota}"' in html
    today = now.strftime("%Y-%m-%d")
    assert f'data-label="{today}" data-value="1200"' in html
    assert 'role="img" aria-labelledby="usage-chart-title usage-chart-desc"' in html
    total = 1500 if now.day > 1 else 1200
    # Numbers in the reader's locale (English here: thousands separated by commas).
    assert f"{total:,} of {environment.monthly_token_quota:,}" in html
    assert (
        'id="usage-chart-table"' in html
        and f'<td class="govuk-table__cell govuk-table__cell--numeric">{total:,}</td>' in html
    )
    assert 'data-refusal="insufficient_quota"' in html and "Monthly quota used up" in html
    assert 'id="stop-calls"' not in html  # a viewer has no kill switch


def test_the_page_for_the_four_visitors(client, cast, ready):
    _, environment = active(cast, ready)
    url = f"/c/fr/deployments/environments/{environment.pk}/"
    assert 'id="stop-calls"' in as_user(client, cast.owner).get(url).content.decode()
    assert 'id="stop-calls"' in as_user(client, cast.partner).get(url).content.decode()
    assert 'id="stop-calls"' not in as_user(client, cast.member).get(url).content.decode()
    assert as_user(client, cast.outsider).get(url).status_code == 404
    client.logout()
    assert "/accounts/login/" in client.get(url)["Location"]


def test_the_kill_switch_for_the_four_visitors(client, cast, ready):
    _, environment = active(cast, ready)
    version = state(cast, environment).policy_version
    stop = f"/c/fr/deployments/environments/{environment.pk}/calls/stop/"
    assert as_user(client, cast.member).post(stop).status_code == 403
    assert as_user(client, cast.viewer).post(stop).status_code == 403
    assert as_user(client, cast.outsider).post(stop).status_code == 404
    assert client.post(stop.replace("/c/fr/", "/c/ke/")).status_code == 404
    client.logout()
    assert "/accounts/login/" in client.post(stop)["Location"]
    assert state(cast, environment).gateway_stopped_at is None
    assert as_user(client, cast.owner).get(stop).status_code == 405
    # Stopping says why: without a reason it is a clear error that changes nothing.
    refused = client.post(stop)
    assert refused.status_code == 400 and 'href="#reason"' in refused.content.decode()
    assert state(cast, environment).gateway_stopped_at is None
    response = client.post(stop, {"reason": "Answers leaked personal data."})
    assert response.status_code == 302
    after = state(cast, environment)
    assert after.gateway_stopped_at is not None and after.policy_version == version + 1
    with country_context(cast.fr):
        event = CountryEvent.objects.filter(action="environment.gateway_stopped").get()
        publish = OutboxMessage.objects.filter(task="deployments.policy_publish").order_by("-id").first()
    # The reason is on the record, as every decision's: sealed beside the chain, the event naming it.
    with country_context(cast.fr):
        kept = ActionReason.objects.get(pk=event.payload["reason"])
    assert event.actor_id == cast.owner.pk and event.payload == {"environment": environment.pk, **on_record(kept)}
    assert (kept.action, kept.reason, kept.by_id) == (
        "environment.gateway_stopped",
        "Answers leaked personal data.",
        cast.owner.pk,
    )
    listed = as_user(client, cast.auditor).get("/api/v1/countries/FR/audit-events/", {"action": "environment."})
    assert [(e["action"], e["reason"]) for e in listed.json()["results"]][0] == (
        "environment.gateway_stopped",
        "Answers leaked personal data.",
    )
    as_user(client, cast.owner)
    assert publish.kwargs == {"country_id": cast.fr.pk, "environment_id": environment.pk}
    html = client.get(f"/c/fr/deployments/environments/{environment.pk}/").content.decode()
    assert 'id="resume-calls"' in html and "Stopped" in html
    request_html = client.get(f"/c/fr/deployments/{environment.request_id}/").content.decode()
    assert "Answers leaked personal data." in request_html and "Calls stopped (kill switch)" in request_html
    # Stopping twice is a clear error that changes nothing.
    again = client.post(stop, {"reason": "Again."})
    assert again.status_code == 400 and "already stopped" in again.content.decode()
    assert state(cast, environment).policy_version == version + 1
    assert as_user(client, cast.partner).post(stop.replace("/stop/", "/resume/")).status_code == 302
    assert state(cast, environment).gateway_stopped_at is None
    assert client.post(stop.replace("/stop/", "/explode/")).status_code == 404
    with country_context(cast.fr):
        assert CountryEvent.objects.filter(action="environment.gateway_resumed", actor_id=cast.partner.pk).exists()


MONTHS = {
    "en": "December 2026",
    "fr": "décembre 2026",
    "es": "diciembre de 2026",
    "pt": "Dezembro de 2026",
    "ar": "ديسمبر 2026",
    "sw": "Disemba 2026",
}


def test_a_month_is_written_in_the_readers_language(cast, ready):
    from datetime import UTC, datetime

    from django.utils import translation

    from deployments.usage import usage_summary
    from portal.dashboards import usage_chart

    _, environment = active(cast, ready)
    at = datetime(2026, 12, 3, 12, tzinfo=UTC)
    figures = {"month": "2026-12", "tokens_by_day": {}, "tokens_month": 0, "quota": 0}
    for language, month in MONTHS.items():
        with translation.override(language), country_context(cast.fr):
            summary = usage_summary(environment=environment, now=at)
            assert (summary.month, summary.month_shown) == ("2026-12", month), language
            # The table names each day as the reader writes a date; the chart's data keeps its key.
            day = summary.chart.days[2]
            assert day.label == "2026-12-03" and month.split()[0] in day.shown, (language, day.shown)
            chart = usage_chart(key="x", figures=figures, now=at)
            assert month in chart.description and month.split()[0] in chart.days[0].shown, language


def test_an_environment_stopped_by_the_kill_switch_shows_stopped_not_active(client, cast, ready):
    _, environment = active(cast, ready)
    as_user(client, cast.owner)
    stop = f"/c/fr/deployments/environments/{environment.pk}/calls/stop/"
    assert client.post(stop, {"reason": "Answers leaked personal data."}).status_code == 302
    html = client.get(f"/c/fr/deployments/environments/{environment.pk}/").content.decode()
    header = html.split('id="environment-state">', 1)[1].split("</strong>", 1)[0]
    assert header == "Calls stopped (kill switch)"
    listing = client.get("/c/fr/deployments/").content.decode()
    row = listing.split(f"/environments/{environment.pk}/", 1)[1].split("</tr>", 1)[0]
    assert "Calls stopped (kill switch)" in row and ">Active<" not in row
