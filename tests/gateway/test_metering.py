"""Usage through the gateway, on the record: the gateway's hour counters folded by a worker into the
environment's usage rows and month (idempotently), the 80 %/100 % quota alerts fed by it, and each
hour, once over, on the country's chain — where an offline verification of the exported ledger
finds the same bill."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import zipfile

import pytest
from django.conf import settings

from deployments.models import Environment, UsageHour
from gateway import metering
from tenants.isolation import country_context
from tenants.notifications.models import Notification
from tenants.record.exports import ledger_export_write
from tenants.record.models import CountryEvent
from tests.conftest import wait_for
from tests.gateway.conftest import chat, keys, make_live, redis_client

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]
PER_CALL = 2 + 10  # the stand-in counts the prompt's two words ("Counted" and its marker) and answers ten


@pytest.fixture
def stack(celery_worker_process, gateways, upstreams):
    return gateways


def calls(stack, live, count: int) -> None:
    for index in range(count):
        response = chat(stack[index % 2], live.secret, content="Counted [[words:10]]")
        assert response.status_code == 200, response.text


def hour_of(live) -> int:
    members = [m.decode() for m in redis_client().smembers(keys().hours)]
    return next(int(m.split(":")[2]) for m in members if m.split(":")[1] == str(live.environment.pk))


def test_usage_is_folded_alerted_and_recorded_once_the_hour_is_over(stack, cast, ready):
    live = make_live(cast, ready, approval={"quota_tokens": 100})
    calls(stack, live, 7)  # 7 × 12 = 84 tokens: past 80 % of 100
    chat(stack[0], live.secret, model="not-approved")
    hour = hour_of(live)
    assert metering.usage_fold() >= 1
    assert metering.usage_fold() >= 1  # again: nothing counted twice
    with country_context(cast.fr):
        row = UsageHour.objects.get(environment_id=live.environment.pk)
        environment = Environment.objects.get(pk=live.environment.pk)
        alerts = Notification.objects.filter(user=cast.owner, subject__contains="80%").count()
        assert not CountryEvent.objects.filter(action="gateway.usage_hour").exists()
    assert (row.calls, row.total_tokens, row.output_tokens, row.estimated_tokens) == (7, 84, 70, 0)
    assert row.outcomes == {"ok": 7} and row.refusals == {"model_not_approved": 1}
    assert (environment.tokens_used, environment.alert_level, alerts) == (84, 80, 1)
    # Once the hour is over (and its grace), it goes on the chain, once.
    metering.usage_fold(now=hour + 3600 + metering.GRACE_SECONDS + 1)
    metering.usage_fold(now=hour + 3600 + metering.GRACE_SECONDS + 2)
    with country_context(cast.fr):
        events = list(CountryEvent.objects.filter(action="gateway.usage_hour"))
        assert UsageHour.objects.get(pk=row.pk).recorded_at is not None
    assert len(events) == 1
    assert events[0].payload["units"] == 84 and events[0].payload["calls"] == 7 and events[0].payload["refused"] == 1
    assert f"{hour}".encode() not in b"".join(redis_client().smembers(keys().hours))


def test_the_bill_checks_out_offline(stack, cast, ready, tmp_path):
    live = make_live(cast, ready)
    calls(stack, live, 3)
    metering.usage_fold(now=hour_of(live) + 3600 + metering.GRACE_SECONDS + 1)
    buffer = io.BytesIO()
    ledger_export_write(country=cast.fr, out=buffer)
    with zipfile.ZipFile(buffer) as archive:
        archive.extractall(tmp_path)
    result = subprocess.run(
        [sys.executable, "-I", "-S", str(tmp_path / "verify_ledger.py"), str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0 and "VERIFIED" in result.stdout, result.stdout + result.stderr
    events = [json.loads(line) for line in (tmp_path / "events.jsonl").read_text().splitlines() if line]
    bill = [e["payload"] for e in events if e["action"] == "gateway.usage_hour"]
    assert sum(p["units"] for p in bill) == 3 * PER_CALL
    assert all(p["environment"] == live.environment.pk for p in bill)


def test_the_fold_runs_in_the_worker(stack, cast, ready):
    live = make_live(cast, ready)
    calls(stack, live, 2)
    from portal.celery import app

    app.send_task("gateway.usage_fold", queue=settings.CELERY_TASK_DEFAULT_QUEUE)

    def folded():
        with country_context(cast.fr):
            return UsageHour.objects.filter(environment_id=live.environment.pk, calls=2).exists()

    wait_for(folded, timeout=30)


def test_a_country_that_left_never_stops_the_folding_of_the_others(stack, cast, ready):
    """The hours of a country that is read-only (it left) cannot be written: they are dropped with a
    warning, and every other hour in the set is still folded in the same run."""
    from deployments import published
    from tenants.models import Country

    live = make_live(cast, ready)
    calls(stack, live, 2)
    hour = hour_of(live)
    other = published.hour_member(cast.ke.pk, 999_999, hour)  # an hour of another country, after FR's
    redis_client().sadd(keys().hours, other)
    Country.objects.filter(pk=cast.fr.pk).update(status=Country.Status.EXITED)
    metering.usage_fold()
    left = {m.decode() for m in redis_client().smembers(keys().hours)}
    assert published.hour_member(cast.fr.pk, live.environment.pk, hour) not in left
    assert other not in left  # reached and folded (its environment is gone: nothing to write)
