"""The review queue page (/review/): partner managers only, their assigned countries only, filters,
oldest first, the onboarding task list of a filtered country, and constant queries as it grows."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.deployments.conftest import draft, ready  # noqa: F401 - the fixture: FR ready to deploy
from tests.engagements.test_api import _assigned_countries, _engagement_of
from tests.engagements.test_services import act, engagement_in, ke_partner

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "who,expected", [("partner", 200), ("owner", 404), ("member", 404), ("outsider", 404), ("anonymous", 302)]
)
def test_review_page_by_visitor(client, cast, who, expected):
    engagement_in(cast, "submitted")
    if who != "anonymous":
        client.force_login(getattr(cast, who))
    response = client.get("/review/")
    assert response.status_code == expected
    if expected == 302:
        assert response["Location"].startswith("/accounts/login/")
    if expected == 200:
        body = response.content.decode()
        assert 'data-country="FR"' in body and 'href="/c/fr/engagement/"' in body


def test_review_page_shows_only_assigned_countries(client, cast):
    kenya_pm = ke_partner(cast)
    engagement_in(cast, "submitted", country=cast.ke, admin=cast.outsider, partner=kenya_pm)
    client.force_login(cast.partner)
    body = client.get("/review/").content.decode()
    assert 'data-country="KE"' not in body and "Nothing is waiting" in body
    assert client.get("/review/?country=KE").content.decode().count('data-country="KE"') == 0
    client.force_login(kenya_pm)
    assert 'data-country="KE"' in client.get("/review/").content.decode()


def test_review_page_filters_order_and_task_list(client, cast):
    countries = _assigned_countries(cast, 3)
    act(_engagement_of(countries[1]), "start_review", cast.partner)
    client.force_login(cast.partner)
    body = client.get("/review/").content.decode()
    assert re.findall(r'data-country="(X\d)"', body) == ["X0", "X1", "X2"]
    body = client.get("/review/?state=in_review").content.decode()
    assert re.findall(r'data-country="(X\d)"', body) == ["X1"]
    body = client.get("/review/?country=X2").content.decode()
    assert re.findall(r'data-country="(X\d)"', body) == ["X2"]
    assert 'class="govuk-task-list"' in body and 'id="x2task-engagement-status" data-state="in_progress"' in body
    body = client.get("/review/?country=ZZ&state=bogus").content.decode()  # unknown filters are ignored
    assert len(re.findall(r'data-country="(X\d)"', body)) == 3


def test_decisions_from_the_queue_return_to_it(client, cast):
    engagement = engagement_in(cast, "submitted")
    client.force_login(cast.partner)
    body = client.get("/review/").content.decode()
    assert f'formaction="/c/fr/engagement/{engagement.pk}/request_changes/"' in body
    response = client.post(f"/c/fr/engagement/{engagement.pk}/request_changes/", {"comment": "", "next": "review"})
    assert response.status_code == 400 and "Say why in the comment" in response.content.decode()
    response = client.post(f"/c/fr/engagement/{engagement.pk}/approve/", {"comment": "Fine.", "next": "review"})
    assert response.status_code == 302 and response["Location"] == "/review/"
    assert "Nothing is waiting" in client.get("/review/").content.decode()


def test_review_page_queries_are_constant(client, cast):
    _assigned_countries(cast, 2)
    client.force_login(cast.partner)

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/review/").status_code == 200
        return len(queries)

    small = count()
    _assigned_countries(cast, 4, start=2)
    client.force_login(cast.partner)
    assert count() == small


def test_each_section_says_it_is_empty_on_its_own(client, cast, ready):  # noqa: F811
    # France's engagement is active (`ready`): no engagement waits, one deployment request does.
    from deployments import services as deployment_services
    from tenants.access import access_for

    request = deployment_services.deployment_request_transition(
        request=draft(cast, ready), action="submit", by=cast.member, access=access_for(cast.member)
    )
    client.force_login(cast.partner)
    body = client.get("/review/").content.decode()
    assert f'data-deployment="{request.pk}"' in body
    assert 'id="queue-empty"' not in body and "Nothing is waiting for your decision" not in body
    assert 'id="engagement-queue-empty"' in body and 'id="deployment-queue-empty"' not in body
    # The state filter holds for both kinds: a change of terms is no deployment request's state.
    body = client.get("/review/?state=amendment").content.decode()
    assert 'id="queue-empty"' in body and "with these filters" in body
    body = client.get("/review/?state=submitted").content.decode()
    assert f'data-deployment="{request.pk}"' in body and 'id="queue-empty"' not in body
