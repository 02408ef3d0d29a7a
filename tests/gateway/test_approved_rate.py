"""An approval's rate limit is what the gateway enforces: set by the approving partner manager, it
reaches the environment the worker provisions and the policy the worker publishes, and the gateway
admits that many calls a minute and refuses the next ones."""

from __future__ import annotations

import pytest

from tenants.isolation import country_context
from tenants.record.models import CountryEvent
from tests.gateway.conftest import chat, error_code, make_live

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def stack(celery_worker_process, gateways, upstreams):
    for upstream in upstreams.values():
        upstream.reset()
    return gateways


def test_the_gateway_admits_the_calls_a_minute_the_approval_set(stack, cast, ready):
    live = make_live(cast, ready, approval={"requests_per_minute": 3})
    assert live.environment.requests_per_minute == 3
    with country_context(cast.fr):
        approval = CountryEvent.objects.get(action="deployment.approve")
    assert approval.payload["conditions"]["requests_per_minute"] == 3
    answers = [chat(stack[0], live.secret) for _ in range(5)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429, 429]
    assert {error_code(a) for a in answers[3:]} == {"rate_limit_exceeded"}
