"""The deployments API for the owner, a same-country member, another country's member (404, also
for FR ids under KE's URL) and an anonymous caller (401); the lifecycle actions; the credential
shown once; usage ingest; and constant query counts on the lists."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from deployments.models import DeploymentRequest, Environment
from tenants.isolation import country_context
from tests.deployments.conftest import draft
from tests.deployments.test_views import active, as_user

pytestmark = pytest.mark.django_db
API = "/api/v1"


def urls(item, environment):
    return [
        f"{API}/models/",
        f"{API}/countries/FR/deployment-requests/",
        f"{API}/countries/FR/deployment-requests/{item.pk}/",
        f"{API}/countries/FR/environments/",
        f"{API}/countries/FR/environments/{environment.pk}/",
    ]


def test_reads_for_the_four_visitors(client, cast, ready):
    item, environment = active(cast, ready)
    for url in urls(item, environment):
        assert as_user(client, cast.owner).get(url).status_code == 200, url
        assert as_user(client, cast.viewer).get(url).status_code == 200, url
        expected = 200 if url.endswith("/models/") else 404
        assert as_user(client, cast.outsider).get(url).status_code == expected, url
        if "/FR/" in url and url.rstrip("/").split("/")[-1].isdigit():
            assert client.get(url.replace("/FR/", "/KE/")).status_code == 404, url
        client.logout()
        assert client.get(url).status_code == 401, url


def test_a_listed_request_says_what_its_detail_says(client, cast, ready):
    """The list reads a lean row of its own (no purpose, no joined people): each of its fields
    agrees with the request's detail."""
    item, _ = active(cast, ready)
    as_user(client, cast.owner)
    listed = client.get(f"{API}/countries/FR/deployment-requests/").json()["results"]
    detail = client.get(f"{API}/countries/FR/deployment-requests/{item.pk}/").json()
    row = next(r for r in listed if r["id"] == item.pk)
    assert row == {field: detail[field] for field in row}
    assert row["model"] == item.model.slug and row["organisation"] == item.organisation_id
    assert "purpose" not in row and len(row) == 20
    assert as_user(client, cast.owner).get(f"{API}/countries/FR/deployment-requests/abc/").status_code == 404


def test_the_catalogue_lists_models_but_not_retired_ones(client, cast, ready):
    from tests.deployments.conftest import make_model

    make_model("retired-one", status="retired")
    body = as_user(client, cast.member).get(f"{API}/models/").json()
    assert [m["slug"] for m in body] == ["aurora-large"]


def request_body(cast, ready, **change):
    return {
        "organisation": cast.fr_ministry.pk,
        "title": "Letters helper",
        "purpose": "Draft replies.",
        "sector": "public_services",
        "model": ready.model.slug,
        "capabilities": ["text"],
        "region": "eu-west",
        "data_classification": "internal",
        "expected_monthly_tokens": 5000,
        "assessment": ready.assessment.pk,
        "owner": cast.owner.pk,
        **change,
    }


def test_create_submit_approve_through_the_api(client, cast, ready):
    base = f"{API}/countries/FR/deployment-requests/"
    assert (
        as_user(client, cast.viewer).post(base, request_body(cast, ready), content_type="application/json").status_code
        == 403
    )
    assert (
        as_user(client, cast.outsider)
        .post(base, request_body(cast, ready), content_type="application/json")
        .status_code
        == 404
    )
    client.logout()
    assert client.post(base, request_body(cast, ready), content_type="application/json").status_code == 401
    response = as_user(client, cast.member).post(
        base, request_body(cast, ready, region="sa-east"), content_type="application/json"
    )
    assert response.status_code == 400 and "not hosted in that region" in str(response.json())
    response = client.post(base, request_body(cast, ready), content_type="application/json")
    assert response.status_code == 201, response.json()
    pk = response.json()["id"]
    response = client.post(f"{base}{pk}/submit/", {}, content_type="application/json")
    assert response.status_code == 200 and response.json()["state"] == "submitted"
    assert [g["name"] for g in response.json()["gates"]] == ["engagement", "assessment", "policies", "training"]
    assert client.post(f"{base}{pk}/approve/", {}, content_type="application/json").status_code == 403
    as_user(client, cast.partner)
    assert client.post(f"{base}{pk}/reject/", {}, content_type="application/json").status_code == 400
    response = client.post(
        f"{base}{pk}/approve/", {"quota_tokens": 3000, "human_review_required": True}, content_type="application/json"
    )
    assert response.status_code == 200
    body = response.json()
    assert body["state"] == "approved" and body["quota_tokens"] == 3000 and body["human_review_required"] is True
    assert body["provisioning"]["state"] == "pending" and body["provisioning"]["percent"] == 0


def test_a_failing_gate_names_itself_in_the_api(client, cast, ready):
    item = draft(cast, ready, assessment_id=None)
    response = as_user(client, cast.member).post(
        f"{API}/countries/FR/deployment-requests/{item.pk}/submit/", {}, content_type="application/json"
    )
    assert response.status_code == 400
    assert "to do: Impact assessment" in str(response.json())


def test_environment_reveal_rotate_and_usage(client, cast, ready):
    item, environment = active(cast, ready)
    base = f"{API}/countries/FR/environments/{environment.pk}/"
    assert as_user(client, cast.owner).post(base + "reveal/").status_code == 404  # not issued to them
    response = as_user(client, cast.member).post(base + "reveal/")
    assert response.status_code == 200 and response.json()["secret"].startswith(response.json()["prefix"])
    assert client.post(base + "reveal/").status_code == 404
    assert as_user(client, cast.viewer).post(base + "rotate/").status_code == 403
    assert as_user(client, cast.outsider).post(base + "rotate/").status_code == 404
    client.logout()
    assert client.post(base + "rotate/").status_code == 401
    refused = as_user(client, cast.owner).post(base + "rotate/")
    assert refused.status_code == 400 and "Say why" in str(refused.json())  # no reason: nothing rotated
    reason = {"reason": "Routine rotation."}
    first = client.post(base + "rotate/", reason, content_type="application/json").json()["secret"]
    second = client.post(base + "rotate/", reason, content_type="application/json").json()["secret"]
    assert first != second
    assert client.post(base + "usage/", {"tokens": "many"}, content_type="application/json").status_code == 400
    assert (
        as_user(client, cast.viewer).post(base + "usage/", {"tokens": 5}, content_type="application/json").status_code
        == 403
    )
    response = as_user(client, cast.owner).post(base + "usage/", {"tokens": 190_000}, content_type="application/json")
    assert response.status_code == 200 and response.json()["tokens_used"] == 190_000


@pytest.mark.parametrize("path,model", [("deployment-requests/", DeploymentRequest), ("environments/", Environment)])
def test_lists_keep_a_constant_number_of_queries(client, cast, ready, path, model):
    as_user(client, cast.owner)
    url = f"{API}/countries/FR/{path}"

    def count() -> tuple[int, int]:
        client.get(url)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        return len(queries), len(response.json()["results"])

    active(cast, ready)
    small = count()
    for _ in range(2):
        active(cast, ready)
    large = count()
    assert (small[1], large[1]) == (1, 3)
    assert small[0] == large[0]


def test_environment_suspend_reinstate_recertify_and_decommission(client, cast, ready):
    item, environment = active(cast, ready)
    base = f"{API}/countries/FR/environments/{environment.pk}/"
    client.logout()
    assert client.post(base + "suspend/", {"comment": "x"}, content_type="application/json").status_code == 401
    assert (
        as_user(client, cast.outsider)
        .post(base + "suspend/", {"comment": "x"}, content_type="application/json")
        .status_code
        == 404
    )
    assert (
        as_user(client, cast.member)
        .post(base + "suspend/", {"comment": "x"}, content_type="application/json")
        .status_code
        == 403
    )
    assert as_user(client, cast.owner).post(base + "suspend/", {}, content_type="application/json").status_code == 400
    response = client.post(base + "suspend/", {"comment": "Incident review"}, content_type="application/json")
    assert response.status_code == 200 and response.json()["state"] == "suspended"
    response = as_user(client, cast.partner).post(base + "reinstate/", {}, content_type="application/json")
    assert response.json()["state"] == "active"
    assert (
        as_user(client, cast.member).post(base + "recertify/", {}, content_type="application/json").status_code == 403
    )
    assert as_user(client, cast.owner).post(base + "recertify/", {}, content_type="application/json").status_code == 200
    response = client.post(base + "decommission/", {}, content_type="application/json")
    assert response.status_code == 400  # decommissioning says why
    response = client.post(base + "decommission/", {"comment": "No longer needed."}, content_type="application/json")
    assert response.status_code == 200
    with country_context(cast.fr):
        assert DeploymentRequest.objects.get(pk=item.pk).state == "decommissioned"
