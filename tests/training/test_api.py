"""The training API for four callers (plus partner and auditor), other countries' ids, bad input
and constant query counts."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tenants.identity.tokens import api_token_issue
from tenants.isolation import country_context
from training.models import Enrolment, QuizAttempt

from .conftest import enrol, right_answers
from .test_views import add_people

pytestmark = pytest.mark.django_db
API = "/api/v1"
FR = f"{API}/countries/FR/training"
KE = f"{API}/countries/KE/training"


def sign_in(api, cast, who: str, how: str = "session") -> None:
    if who == "anonymous":
        return
    user = getattr(cast, who)
    if how == "bearer":
        raw, _ = api_token_issue(user=user)
        api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    else:
        api.force_login(user)


@pytest.fixture
def setup(cast, catalogue):
    return {
        "member": enrol(cast.fr, cast.member, catalogue["ai-literacy"]),
        "owner": enrol(cast.fr, cast.owner, catalogue["ai-literacy"]),
        "ke": enrol(cast.ke, cast.outsider, catalogue["ai-literacy"]),
    }


@pytest.mark.parametrize("how", ["session", "bearer"])
@pytest.mark.parametrize("who", ["owner", "member", "partner", "auditor", "outsider", "anonymous"])
def test_reads_by_caller(api, cast, setup, who, how):
    sign_in(api, cast, who, how)
    mine = setup["member"].pk
    expected = {"outsider": 404, "anonymous": 401}.get(who, 200)
    for url in [f"{FR}/programmes/", f"{FR}/enrolments/", f"{FR}/enrolments/{mine}/"]:
        response = api.get(url)
        assert response.status_code == expected, url
        if expected != 200:
            assert set(response.json()) == {"detail"}
    catalogue_status = api.get(f"{API}/training/catalogue/").status_code
    assert catalogue_status == (401 if who == "anonymous" else 200)
    if who in {"owner", "partner", "auditor"}:
        ids = {row["id"] for row in api.get(f"{FR}/enrolments/").json()["results"]}
        assert ids == {setup["member"].pk, setup["owner"].pk}
    if who == "member":
        assert [row["id"] for row in api.get(f"{FR}/enrolments/").json()["results"]] == [mine]
        assert api.get(f"{FR}/enrolments/{setup['owner'].pk}/").status_code == 404


@pytest.mark.parametrize("who", ["owner", "member", "anonymous"])
def test_other_countries_ids_are_404(api, cast, setup, who):
    sign_in(api, cast, who)
    expected = 401 if who == "anonymous" else 404
    ke_id = setup["ke"].pk
    for url in [
        f"{KE}/enrolments/",
        f"{KE}/enrolments/{ke_id}/",
        f"{FR}/enrolments/{ke_id}/",
        f"{FR}/enrolments/abc/",
        f"{FR}/enrolments/99999999999999999999999/",
    ]:
        assert api.get(url).status_code == expected, url
    assert (
        api.post(f"{FR}/enrolments/{ke_id}/quiz/", {"module": 0, "answers": [0, 0, 0]}, format="json").status_code
        == expected
    )


def test_programmes_show_what_each_role_must_hold(api, cast, setup):
    sign_in(api, cast, "member")
    rows = {row["slug"]: row for row in api.get(f"{FR}/programmes/").json()}
    assert rows["ai-literacy"]["required_for"] == ["country_admin", "officer"]
    assert rows["ai-literacy"]["version"] == 1
    assert rows["impact-assessment"]["required_for"] == []


def test_enrol_and_answer_through_the_api(api, cast, setup):
    sign_in(api, cast, "member")
    response = api.post(f"{FR}/enrolments/", {"programme": "impact-assessment"}, format="json")
    assert response.status_code == 201 and response.json()["programme"] == "impact-assessment"
    enrolment_id = response.json()["id"]
    with country_context(cast.fr):
        enrolment = Enrolment.objects.get(pk=enrolment_id)
    url = f"{FR}/enrolments/{enrolment_id}/quiz/"
    response = api.post(url, {"module": 0, "answers": [9, 9, 9]}, format="json")
    assert response.status_code == 400 and "Answer all 3 questions" in response.json()["detail"]
    for index in (0, 1):
        response = api.post(url, {"module": index, "answers": right_answers(enrolment, index)}, format="json")
        assert response.status_code == 200 and response.json()["passed"] is True
    assert response.json()["enrolment_status"] == "completed"
    assert api.get(f"{FR}/enrolments/{enrolment_id}/").json()["modules_done"] == 2


@pytest.mark.parametrize(
    "body,field",
    [
        ({"programme": "nope"}, "programme"),
        ({}, "programme"),
        ({"programme": "ai-literacy", "colour": "red"}, "colour"),
        ({"programme": "impact-assessment", "due_date": "tomorrow"}, "due_date"),
        ({"programme": "ai-literacy"}, "programme"),  # already enrolled
    ],
)
def test_bad_enrolments_are_400_with_field_errors(api, cast, setup, body, field):
    sign_in(api, cast, "member")
    with country_context(cast.fr):
        before = Enrolment.objects.count()
    response = api.post(f"{FR}/enrolments/", body, format="json")
    assert response.status_code == 400
    assert field in response.json()["errors"]
    with country_context(cast.fr):
        assert Enrolment.objects.count() == before


def test_enrolling_someone_else_needs_a_country_admin(api, cast, setup):
    sign_in(api, cast, "member")
    response = api.post(f"{FR}/enrolments/", {"programme": "impact-assessment", "user": cast.viewer.pk}, format="json")
    assert response.status_code == 403
    api.force_login(cast.owner)
    response = api.post(f"{FR}/enrolments/", {"programme": "impact-assessment", "user": cast.viewer.pk}, format="json")
    assert response.status_code == 201 and response.json()["source"] == "individual"
    response = api.post(
        f"{FR}/enrolments/", {"programme": "impact-assessment", "user": cast.outsider.pk}, format="json"
    )
    assert response.status_code == 400 and "active member of France" in response.json()["detail"]


def test_someone_elses_quiz_is_refused(api, cast, setup):
    api.force_login(cast.owner)
    enrolment = setup["member"]
    response = api.post(
        f"{FR}/enrolments/{enrolment.pk}/quiz/", {"module": 0, "answers": right_answers(enrolment, 0)}, format="json"
    )
    assert response.status_code == 403
    with country_context(cast.fr):
        assert not QuizAttempt.objects.exists()


def count(api, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert api.get(url).status_code == 200
    return len(queries)


def test_enrolment_list_query_count_is_constant(api, cast, catalogue, setup):
    api.force_login(cast.owner)
    add_people(cast, catalogue, 3, 0)
    small = count(api, f"{FR}/enrolments/")
    add_people(cast, catalogue, 9, 3)
    assert count(api, f"{FR}/enrolments/") == small
