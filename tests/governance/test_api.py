"""The governance API for the four visitors (session and bearer), other countries' ids (404),
validation (400 with field errors, nothing changed), and constant query counts on the lists."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from governance import incidents
from governance.models import ImpactAssessment, Incident
from tenants.identity.tokens import api_token_issue
from tenants.isolation import country_context

from .helpers import LOW, act, completed_assessment, published_policy

pytestmark = pytest.mark.django_db
API = "/api/v1"
FR = f"{API}/countries/FR"


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
def world(cast):
    objects = {}
    for country, admin, officer in ((cast.fr, cast.owner, cast.member), (cast.ke, cast.outsider, cast.outsider)):
        policy, _ = published_policy(cast, country=country, admin=admin)
        assessment = completed_assessment(cast, user=officer, country=country)
        incident = incidents.incident_report(
            country=country,
            title="Leak",
            severity="major",
            description="secret detail",
            deployment_reference="DEP-1",
            **act(officer),
        )
        objects[country.code] = {"policy": policy, "assessment": assessment, "incident": incident}
    return objects


def reads(objects) -> list[str]:
    return [
        "policies/",
        f"policies/{objects['policy'].pk}/",
        "assessments/",
        f"assessments/{objects['assessment'].pk}/",
        "incidents/",
        f"incidents/{objects['incident'].pk}/",
        "frameworks/",
        "frameworks/gdpr/requirements/",
    ]


@pytest.mark.parametrize("how", ["session", "bearer"])
@pytest.mark.parametrize("who", ["owner", "member", "viewer", "auditor"])
def test_same_country_reads(api, cast, world, who, how):
    sign_in(api, cast, who, how)
    for path in reads(world["FR"]):
        response = api.get(f"{FR}/{path}")
        assert response.status_code == 200, path
    assert api.get(f"{FR}/assessments/{world['FR']['assessment'].pk}/").json()["category"] == "minimal"


def test_another_country_gets_404(api, cast, world):
    sign_in(api, cast, "outsider")
    for path in reads(world["FR"]):
        response = api.get(f"{FR}/{path}")
        assert response.status_code == 404, path
        assert "secret detail" not in response.content.decode()


def test_other_countries_ids_under_this_country_are_404(api, cast, world):
    sign_in(api, cast, "owner")
    ke = world["KE"]
    for path in (
        f"policies/{ke['policy'].pk}/",
        f"assessments/{ke['assessment'].pk}/",
        f"incidents/{ke['incident'].pk}/",
    ):
        assert api.get(f"{FR}/{path}").status_code == 404, path
    for path in (
        f"policies/{ke['policy'].pk}/acknowledge/",
        f"assessments/{ke['assessment'].pk}/complete/",
        f"assessments/{ke['assessment'].pk}/answers/",
        f"incidents/{ke['incident'].pk}/advance/",
        f"incidents/{ke['incident'].pk}/reported/",
    ):
        assert api.post(f"{FR}/{path}", {}, format="json").status_code == 404, path
    for bad in ("abc", "0", "-1", "9" * 30):
        assert api.get(f"{FR}/assessments/{bad}/").status_code == 404
    with country_context(cast.ke):
        assert Incident.objects.get(pk=ke["incident"].pk).status == "open"


def test_anonymous_gets_401(api, cast, world):
    for path in reads(world["FR"]):
        assert api.get(f"{FR}/{path}").status_code == 401, path
    assert api.get(f"{API}/policy-templates/").status_code == 401
    assert api.get(f"{API}/frameworks/").status_code == 401
    assert api.post(f"{FR}/assessments/", {"title": "x"}, format="json").status_code == 401


def test_catalogue(api, cast):
    sign_in(api, cast, "outsider", "bearer")
    templates = api.get(f"{API}/policy-templates/").json()
    assert len(templates) == 6 and all(t["text"] for t in templates)
    frameworks = api.get(f"{API}/frameworks/").json()
    assert {f["slug"] for f in frameworks} == {
        "eu-ai-act",
        "gdpr",
        "iso-42001",
        "nist-ai-rmf",
        "oecd-ai-principles",
        "sg-genai-governance",
        "unesco-ai-ethics",
    }
    assert all(r["reference"] for f in frameworks for r in f["requirements"])
    assert all(f["version"] == 1 and f["source_url"].startswith("https://") for f in frameworks)
    nist = next(f for f in frameworks if f["slug"] == "nist-ai-rmf")
    assert [r["code"] for r in nist["requirements"] if not r["assessable"]][:1] == ["nist-govern"]


def test_an_assessment_through_the_api(api, cast):
    sign_in(api, cast, "member", "bearer")
    response = api.post(
        f"{FR}/assessments/", {"title": "Chat assistant", "answers": {"purpose": "public_information"}}, format="json"
    )
    assert response.status_code == 201
    pk = response.json()["id"]
    response = api.post(f"{FR}/assessments/{pk}/complete/", {}, format="json")
    assert response.status_code == 400 and "Answer the question" in response.json()["detail"]
    response = api.post(f"{FR}/assessments/{pk}/answers/", {"answers": {"purpose": "teleport"}}, format="json")
    assert response.status_code == 400
    answers = {**LOW, "purpose": "public_information", "interaction": "conversation"}
    assert api.post(f"{FR}/assessments/{pk}/answers/", {"answers": answers}, format="json").status_code == 200
    body = api.post(f"{FR}/assessments/{pk}/complete/", {}, format="json").json()
    assert (body["status"], body["impact_level"], body["category"], body["obligations"]) == (
        "completed",
        1,
        "limited",
        ["transparency_notice"],
    )
    assert api.post(f"{FR}/assessments/{pk}/answers/", {"answers": answers}, format="json").status_code == 400


def test_writes_refused_for_viewers_and_bad_input(api, cast, world):
    sign_in(api, cast, "viewer")
    assert api.post(f"{FR}/assessments/", {"title": "x"}, format="json").status_code == 403
    assert api.post(f"{FR}/incidents/", {"title": "x"}, format="json").status_code == 403
    assert api.post(f"{FR}/policies/", {"template": "bias-and-fairness"}, format="json").status_code == 403
    assert (
        api.post(
            f"{FR}/frameworks/gdpr/requirements/gdpr-1/status/", {"status": "compliant"}, format="json"
        ).status_code
        == 403
    )
    api.logout()
    sign_in(api, cast, "member")
    with country_context(cast.fr):
        before = ImpactAssessment.objects.count(), Incident.objects.count()
    response = api.post(f"{FR}/assessments/", {"title": "x", "colour": "red"}, format="json")
    assert response.status_code == 400 and "colour" in response.json()["errors"]
    response = api.post(f"{FR}/incidents/", {"title": "x", "severity": "huge", "description": "d"}, format="json")
    assert response.status_code == 400 and "severity" in response.json()["errors"]
    response = api.post(
        f"{FR}/incidents/",
        {"title": "x", "severity": "minor", "description": "d", "assessment": world["KE"]["assessment"].pk},
        format="json",
    )
    assert response.status_code == 400 and "assessment" in response.json()["errors"]
    response = api.post(
        f"{FR}/frameworks/gdpr/requirements/gdpr-1/status/", {"status": "compliant", "owner": 10**9}, format="json"
    )
    assert response.status_code == 400 and "owner" in response.json()["errors"]
    assert (
        api.post(f"{FR}/frameworks/gdpr/requirements/nope/status/", {"status": "compliant"}, format="json").status_code
        == 404
    )
    with country_context(cast.fr):
        assert (ImpactAssessment.objects.count(), Incident.objects.count()) == before


def test_policies_acknowledge_and_status_through_the_api(api, cast, world):
    sign_in(api, cast, "member")
    pk = world["FR"]["policy"].pk
    response = api.post(f"{FR}/policies/{pk}/acknowledge/", {}, format="json")
    assert response.status_code == 201 and response.json()["version"] == 1
    response = api.post(f"{FR}/frameworks/gdpr/requirements/gdpr-1/status/", {"status": "partial"}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "partial"
    coverage = {f["slug"]: f for f in api.get(f"{FR}/frameworks/").json()}["gdpr"]
    assert {r["status"]: r["count"] for r in coverage["rows"]}["partial"] == 1
    api.logout()
    sign_in(api, cast, "owner")
    response = api.post(f"{FR}/policies/", {"template": "no-such"}, format="json")
    assert response.status_code == 400 and "template" in response.json()["errors"]
    response = api.post(f"{FR}/policies/", {"template": "bias-and-fairness"}, format="json")
    assert response.status_code == 201 and response.json()["versions"][0]["status"] == "draft"


@pytest.mark.parametrize(
    "path, make",
    [
        ("assessments/", lambda cast, i: completed_assessment(cast, title=f"Use {i}")),
        (
            "incidents/",
            lambda cast, i: incidents.incident_report(
                country=cast.fr,
                title=f"I{i}",
                severity="minor",
                description="d",
                deployment_reference="D",
                **act(cast.member),
            ),
        ),
        (
            "policies/",
            lambda cast, i: published_policy(
                cast,
                slug=[
                    "data-protection",
                    "human-oversight",
                    "bias-and-fairness",
                    "transparency-to-citizens",
                    "generative-ai-acceptable-use",
                    "security-and-incident-response",
                ][i],
            ),
        ),
    ],
)
def test_lists_keep_a_constant_query_count(api, cast, path, make):
    sign_in(api, cast, "owner")
    made = 0

    def grow_to(n):
        nonlocal made
        while made < n:
            make(cast, made)
            made += 1

    def count() -> int:
        api.get(f"{FR}/{path}")
        with CaptureQueriesContext(connection) as queries:
            response = api.get(f"{FR}/{path}")
        assert response.status_code == 200
        return len(queries), len(response.json()["results"])

    grow_to(2)
    few, rows = count()
    grow_to(6)
    assert count() == (few, rows * 3)


def test_evidence_through_the_api(api, cast, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path
    url = f"{FR}/frameworks/gdpr/requirements/gdpr-2/evidence/"
    assert api.get(url).status_code == 401
    sign_in(api, cast, "member")
    response = api.post(url, {"file": SimpleUploadedFile("dpia.pdf", b"%PDF-1.4\n%%EOF\n")}, format="multipart")
    assert response.status_code == 201 and response.json()["kind"] == "pdf" and len(response.json()["sha256"]) == 64
    response = api.post(url, {"file": SimpleUploadedFile("dpia.pdf", b"MZ\x90\x00" + b"\x00" * 60)}, format="multipart")
    assert response.status_code == 400 and "not an accepted type" in response.json()["detail"]
    assert [e["version"] for e in api.get(url).json()] == [1]
    assert len([p for p in tmp_path.rglob("*") if p.is_file()]) == 1
    api.logout()
    sign_in(api, cast, "viewer")
    assert api.get(url).status_code == 200
    assert api.post(url, {"file": SimpleUploadedFile("x.pdf", b"%PDF-1.4")}, format="multipart").status_code == 403
    api.logout()
    sign_in(api, cast, "outsider")
    assert api.get(url).status_code == 404


def test_completing_names_every_missing_answer_in_the_readers_language(api, cast):
    """The API lists every unanswered question at once, each under its own key (as the page's error
    summary does), in the reader's language, and saves nothing."""
    from django.utils import translation

    from governance import questionnaire
    from tenants.languages.models import Preferences

    Preferences.objects.filter(user=cast.member).update(language="fr")
    sign_in(api, cast, "member", "bearer")
    answers = {"purpose": "public_information", "interaction": "conversation"}
    pk = api.post(f"{FR}/assessments/", {"title": "Chat assistant", "answers": answers}, format="json").json()["id"]
    response = api.post(f"{FR}/assessments/{pk}/complete/", {}, format="json")
    assert response.status_code == 400
    body = response.json()
    missing = questionnaire.unanswered(answers)
    assert len(missing) >= 2
    with translation.override("fr"):
        expected = {q["key"]: [f"Répondez à la question : {q['text']}"] for q in missing}
    assert body["errors"] == expected
    assert list(body["errors"]) == [q["key"] for q in missing]  # in the questionnaire's order
    assert all(message in body["detail"] for messages in expected.values() for message in messages)
    with country_context(cast.fr):
        draft = ImpactAssessment.objects.get(pk=pk)
    assert (draft.status, draft.answers, draft.completed_at) == ("draft", answers, None)
