"""The engagements API and the review queue API: four callers on every endpoint, other countries'
ids under FR's URL, creation and actions with their refusals, and constant query counts."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from guardian.shortcuts import assign_perm

from engagements.models import Engagement
from tenants.isolation import country_context
from tenants.models import Country, Membership, Organisation

from .test_services import TERMS, TODAY, act, engagement_in, fresh, ke_partner, snapshot

pytestmark = pytest.mark.django_db
BASE = "/api/v1/countries/FR/engagements/"


def body(**change):
    data = {**TERMS, "start_date": TODAY.isoformat(), "end_date": None}
    data.update(change)
    return data


def login(api, cast, who):
    if who != "anonymous":
        api.force_login(getattr(cast, who))
    return api


@pytest.mark.parametrize(
    "who,expected",
    [("owner", 200), ("member", 200), ("partner", 200), ("auditor", 200), ("outsider", 404), ("anonymous", 401)],
)
def test_reads_by_caller(api, cast, who, expected):
    engagement = engagement_in(cast, "approved")
    login(api, cast, who)
    for path in (BASE, f"{BASE}{engagement.pk}/"):
        response = api.get(path)
        assert response.status_code == expected, path
    if expected == 200:
        detail = api.get(f"{BASE}{engagement.pk}/").json()
        assert detail["state"] == "approved" and detail["approved_version"] == 1
        assert detail["current_terms"]["monthly_token_quota"] == 1_000_000
        assert [t["action"] for t in detail["transitions"]] == ["approve", "submit", "create"]
        listed = api.get(BASE).json()["results"]
        assert [e["id"] for e in listed] == [engagement.pk]
        # The list reads a lean row of its own: each of its fields says what the detail says.
        assert listed[0] == {field: detail[field] for field in listed[0]}
        assert set(listed[0]) == {
            "id",
            "state",
            "amendment",
            "organisation",
            "approved_version",
            "submitted_at",
            "created_at",
        }


def test_other_countries_ids_under_fr_are_404(api, cast):
    kenya = engagement_in(cast, "submitted", country=cast.ke, admin=cast.outsider, partner=ke_partner(cast))
    before = snapshot(kenya)
    for who in ("owner", "partner"):
        login(api, cast, who)
        assert api.get(f"{BASE}{kenya.pk}/").status_code == 404
        assert api.post(f"{BASE}{kenya.pk}/approve/", {"comment": "x"}, format="json").status_code == 404
        assert api.post(f"{BASE}{kenya.pk}/terms/", body(), format="json").status_code == 404
    assert api.get("/api/v1/countries/KE/engagements/").status_code == 404  # FR's partner is not KE's
    for bad in ("abc", "0", "99999999999999999999"):
        assert api.get(f"{BASE}{bad}/").status_code == 404
    assert snapshot(kenya) == before


@pytest.mark.parametrize(
    "who,expected",
    [("owner", 201), ("member", 201), ("viewer", 403), ("partner", 403), ("outsider", 404), ("anonymous", 401)],
)
def test_create_by_caller(api, cast, who, expected):
    response = login(api, cast, who).post(BASE, body(organisation=cast.fr_ministry.pk), format="json")
    assert response.status_code == expected
    with country_context(cast.fr):
        assert Engagement.objects.count() == (1 if expected == 201 else 0)
    if expected == 201:
        assert response.json()["state"] == "draft"


@pytest.mark.parametrize(
    "change,field",
    [
        ({"sectors": []}, "sectors"),
        ({"sectors": ["mining"]}, "sectors"),
        ({"capabilities": "text"}, "capabilities"),
        ({"monthly_token_quota": -5}, "monthly_token_quota"),
        ({"monthly_token_quota": "many"}, "monthly_token_quota"),
        ({"start_date": "soon"}, "start_date"),
        ({"end_date": "2000-01-01"}, "end_date"),
        ({"economic_model": "barter"}, "economic_model"),
        ({"surprise": 1}, "surprise"),
        ({"organisation": 987654}, "organisation"),
    ],
)
def test_create_with_bad_input_is_400_and_changes_nothing(api, cast, change, field):
    data = body(**{"organisation": cast.fr_ministry.pk, **change})
    response = login(api, cast, "owner").post(BASE, data, format="json")
    assert response.status_code == 400
    # Errors are keyed by field path: a bad item of a list is "sectors[0]".
    errors = response.json()["errors"]
    assert any(key == field or key.startswith((f"{field}[", f"{field}.")) for key in errors), errors
    with country_context(cast.fr):
        assert not Engagement.objects.exists()


def test_create_from_a_closed_kind_or_another_countrys_organisation(api, cast):
    with country_context(cast.fr):
        charity = Organisation.objects.create(country=cast.fr, name="Fondation", kind="non_profit")
    login(api, cast, "owner")
    response = api.post(BASE, body(organisation=charity.pk), format="json")
    assert response.status_code == 400 and "not yet open" in response.json()["errors"]["organisation"][0]
    response = api.post(BASE, body(organisation=cast.ke_ministry.pk), format="json")
    assert response.status_code == 400 and "no such organisation" in response.json()["errors"]["organisation"][0]


def test_the_whole_lifecycle_through_the_api(api, cast):
    login(api, cast, "owner")
    engagement_id = api.post(BASE, body(organisation=cast.fr_ministry.pk), format="json").json()["id"]
    url = f"{BASE}{engagement_id}/"
    assert api.post(url + "submit/", {}, format="json").json()["state"] == "submitted"
    login(api, cast, "partner")
    assert api.post(url + "start-review/", {}, format="json").json()["state"] == "in_review"
    response = api.post(url + "request-changes/", {}, format="json")
    assert response.status_code == 400 and "Say why" in response.json()["errors"]["comment"][0]
    assert api.post(url + "request-changes/", {"comment": "Add health."}, format="json").json()["state"] == "draft"
    login(api, cast, "owner")
    response = api.post(url + "terms/", body(sectors=["health"]), format="json")
    assert response.status_code == 201 and [v["version"] for v in response.json()["versions"]] == [2, 1]
    api.post(url + "submit/", {}, format="json")
    login(api, cast, "partner")
    detail = api.post(url + "approve/", {"comment": "Good."}, format="json").json()
    assert (detail["state"], detail["approved_version"]) == ("approved", 2)
    assert set(detail["actions"]) == {"activate", "suspend", "close"}
    assert api.post(url + "activate/", {}, format="json").json()["state"] == "active"


def test_refused_actions_through_the_api(api, cast):
    engagement = engagement_in(cast, "draft")
    url = f"{BASE}{engagement.pk}/"
    before = snapshot(engagement)
    response = login(api, cast, "member").post(url + "submit/", {}, format="json")
    assert response.status_code == 403 and "does not allow you to submit" in response.json()["detail"]
    response = login(api, cast, "partner").post(url + "approve/", {"comment": "ok"}, format="json")
    assert response.status_code == 400 and "cannot approve an engagement that is draft" in str(response.json())
    assert api.post(url + "approve/", {"comment": 5, "extra": 1}, format="json").status_code == 400
    assert api.post(url + "fly/", {}, format="json").status_code == 404
    assert login(api, cast, "outsider").post(url + "close/", {}, format="json").status_code == 404
    api.logout()
    assert api.post(url + "close/", {}, format="json").status_code == 401
    assert snapshot(engagement) == before


# --- Review queue --------------------------------------------------------------------------------------


def test_review_queue_shows_only_assigned_countries(api, cast):
    kenya_pm = ke_partner(cast)
    fr_engagement = engagement_in(cast, "submitted")
    ke_engagement = engagement_in(cast, "in_review", country=cast.ke, admin=cast.outsider, partner=kenya_pm)
    items = login(api, cast, "partner").get("/api/v1/review-queue/").json()["results"]
    assert [(i["country"], i["engagement"]) for i in items] == [("FR", fr_engagement.pk)]
    api.force_login(kenya_pm)
    items = api.get("/api/v1/review-queue/").json()["results"]
    assert [(i["country"], i["engagement"]) for i in items] == [("KE", ke_engagement.pk)]
    assert login(api, cast, "owner").get("/api/v1/review-queue/").json()["results"] == []
    api.logout()
    assert api.get("/api/v1/review-queue/").status_code == 401


def test_review_queue_filters_and_order(api, cast):
    countries = _assigned_countries(cast, 3)
    login(api, cast, "partner")
    codes = [i["country"] for i in api.get("/api/v1/review-queue/").json()["results"]]
    assert codes == ["X0", "X1", "X2"]  # oldest submission first
    assert [i["country"] for i in api.get("/api/v1/review-queue/?country=x1").json()["results"]] == ["X1"]
    act(_engagement_of(countries[2]), "start_review", cast.partner)
    assert [i["country"] for i in api.get("/api/v1/review-queue/?state=in_review").json()["results"]] == ["X2"]
    assert api.get("/api/v1/review-queue/?state=nonsense").status_code == 400


def _assigned_countries(cast, n: int, start: int = 0) -> list[Country]:
    from django.contrib.auth import get_user_model

    made = []
    for i in range(start, start + n):
        country = Country.objects.create(code=f"X{i}", name=f"Testland {i}", status="onboarding")
        admin = get_user_model().objects.create_user(f"admin{i}", f"admin{i}@example.org", "x")
        with country_context(country):
            org = Organisation.objects.create(country=country, name="Ministry", kind="ministry")
            Membership.objects.create(country=country, user=admin, organisation=org, role="country_admin")
        assign_perm("tenants.manage_partnership", cast.partner, country)
        engagement_in(cast, "submitted", country=country, admin=admin, organisation=org)
        made.append(country)
    return made


def _engagement_of(country) -> Engagement:
    with country_context(country):
        return fresh(Engagement.objects.get())


def test_lists_keep_a_constant_number_of_queries(api, cast):
    _assigned_countries(cast, 2)
    login(api, cast, "partner")

    def count(path):
        with CaptureQueriesContext(connection) as queries:
            assert api.get(path).status_code == 200
        return len(queries)

    small = count("/api/v1/review-queue/")
    _assigned_countries(cast, 4, start=2)
    api.force_login(cast.partner)
    assert count("/api/v1/review-queue/") == small
    # A country's list: N and 3N engagements (closed ones are history).
    login(api, cast, "owner")
    for _ in range(2):
        engagement_in(cast, "closed")
    small = count(BASE)
    for _ in range(4):
        engagement_in(cast, "closed")
    assert count(BASE) == small
