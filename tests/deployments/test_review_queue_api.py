"""Deployment requests in the partner managers' review queue API: assigned countries only, oldest first."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from deployments import services
from tenants.access import access_for
from tests.deployments.conftest import act, draft

pytestmark = pytest.mark.django_db
URL = "/api/v1/review-queue/deployments/"


def submit(cast, ready, **change):
    return services.deployment_request_transition(
        request=draft(cast, ready, **change), action="submit", **act(cast.member)
    )


def test_partner_sees_waiting_requests_of_assigned_countries_oldest_first(client, cast, ready):
    first = submit(cast, ready)
    second = submit(cast, ready, title="Second use")
    client.force_login(cast.partner)
    results = client.get(URL).json()["results"]
    assert [r["deployment_request"] for r in results] == [first.pk, second.pk]
    assert {r["country"] for r in results} == {"FR"}
    # A country the partner does not review is a filter nothing can match: refused, naming theirs.
    refused = client.get(URL, {"country": "KE"})
    assert refused.status_code == 400
    assert refused.json()["errors"]["country"] == ["“KE” is not a country you review. Use one of: FR."]


@pytest.mark.parametrize("who", ["owner", "member", "auditor", "outsider"])
def test_people_who_review_nothing_get_an_empty_queue(client, cast, ready, who):
    submit(cast, ready)
    client.force_login(getattr(cast, who))
    response = client.get(URL)
    assert response.status_code == 200 and response.json()["results"] == []


def test_anonymous_is_401(client, cast):
    assert client.get(URL).status_code == 401


def test_queue_keeps_its_query_count(client, cast, ready):
    client.force_login(cast.partner)
    submit(cast, ready)

    def count() -> int:
        client.get(URL)  # a person's first request fills the access cache (tenants.access): count the next
        with CaptureQueriesContext(connection) as queries:
            assert client.get(URL).status_code == 200
        return len(queries)

    small = count()
    for n in range(4):
        submit(cast, ready, title=f"Use {n}")
    assert count() == small
    assert access_for(cast.partner).partner_country_ids == {cast.fr.pk}
