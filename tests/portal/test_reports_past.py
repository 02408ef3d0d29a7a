"""A compliance pack for a period that ended before a change reports the state at the period's
end (rebuilt from the chain and the versioned rows), not today's; what cannot be rebuilt is
labelled as of the report's generation."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import timedelta

import pytest
from django.utils import timezone

from deployments import services
from governance import services as governance_services
from governance.models import PolicyVersion
from portal.reports.bundle import bundle_write
from portal.reports.sections import Period, sections_read
from tenants.isolation import country_context
from tests.deployments.conftest import act, draft, ready  # noqa: F401 (ready: a fixture)
from tests.signing_keys import hours_later

pytestmark = pytest.mark.django_db


def rows_of(sections, name) -> list[dict]:
    section = next(s for s in sections if s.name == name)
    return [dict(zip(section.columns, row)) for row in section.rows]


def test_a_period_that_ended_before_a_change_reports_the_state_then(cast, ready, monkeypatch):  # noqa: F811
    today = timezone.localdate()
    item = draft(cast, ready)
    services.deployment_request_transition(request=item, action="submit", **act(cast.member))
    with country_context(cast.fr):
        policy = PolicyVersion.objects.filter(status="published").order_by("pk").first().policy
    period = Period(today - timedelta(days=30), today)

    # Three days after the period ended: the request is approved, a policy gets a second version.
    hours_later(monkeypatch, 72)
    services.deployment_request_transition(request=item, action="approve", quota_tokens=150_000, **act(cast.partner))
    version = governance_services.policy_version_create(
        policy=policy, text="A stricter text.", language="en", roles=["country_admin"], **act(cast.owner)
    )
    governance_services.policy_version_publish(version=version, reason="Stricter.", **act(cast.owner))

    then, _absent = sections_read(country=cast.fr, period=period)
    (request,) = rows_of(then, "deployments")
    assert (request["state"], request["quota_tokens"], request["decided_at"]) == ("submitted", None, None)
    assert [r["version"] for r in rows_of(then, "policies") if r["policy_id"] == policy.pk] == [1]
    assert {s.name for s in then if s.as_of == "generation"} == {"training", "frameworks"}

    now = Period(today - timedelta(days=30), today + timedelta(days=5))
    current, _absent = sections_read(country=cast.fr, period=now)
    (request,) = rows_of(current, "deployments")
    assert (request["state"], request["quota_tokens"]) == ("approved", 150_000)
    assert [r["version"] for r in rows_of(current, "policies") if r["policy_id"] == policy.pk] == [1, 2]


def test_the_bundle_labels_what_is_as_of_its_generation(cast, ready, monkeypatch):  # noqa: F811
    today = timezone.localdate()
    out = io.BytesIO()
    manifest = bundle_write(country=cast.fr, period=Period(today - timedelta(days=30), today), out=out)
    assert manifest["as_of_generation"] == ["training", "frameworks"]
    with zipfile.ZipFile(out) as archive:
        document = json.loads(archive.read("report.json"))
    assert document["sections"]["frameworks"]["as_of"] == "generation"
    assert document["sections"]["deployments"]["as_of"] == "period_end"
    assert "environment columns are as when the report was generated" in document["sections"]["deployments"]["note"]


def test_the_pack_lists_the_approved_rate_limit_beside_the_other_conditions(cast, ready, monkeypatch):  # noqa: F811
    """The calls a minute an approval allows are one of its conditions: the deployments section gives
    them as approved (from the chain), then as changed afterwards only once the period covers it."""
    today = timezone.localdate()
    item = draft(cast, ready)
    services.deployment_request_transition(request=item, action="submit", **act(cast.member))
    services.deployment_request_transition(
        request=item, action="approve", quota_tokens=150_000, requests_per_minute=42, **act(cast.partner)
    )
    current, _absent = sections_read(country=cast.fr, period=Period(today - timedelta(days=30), today))
    (request,) = rows_of(current, "deployments")
    assert (request["quota_tokens"], request["requests_per_minute"]) == (150_000, 42)
    section = next(s for s in current if s.name == "deployments")
    assert section.columns.index("requests_per_minute") == section.columns.index("quota_tokens") + 1
    assert "environment_rate" in section.columns

    # The row changes after the period: what the approval fixed is read from the chain.
    hours_later(monkeypatch, 72)
    with country_context(cast.fr):
        type(item).objects.filter(pk=item.pk).update(requests_per_minute=7, updated_at=timezone.now())
    then, _absent = sections_read(country=cast.fr, period=Period(today - timedelta(days=30), today))
    (request,) = rows_of(then, "deployments")
    assert request["requests_per_minute"] == 42
