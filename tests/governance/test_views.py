"""The governance pages for the four visitors (owner, same-country member, another country's
member, anonymous), other countries' ids under this country's URL, the writes made through the
pages (errors at 400 with a GOV.UK error summary, nothing changed), evidence served only after an
access check, and constant query counts on the lists."""

from __future__ import annotations

import re
from html import unescape

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from governance import evidence, incidents, services
from governance.models import ImpactAssessment, Incident, Requirement
from tenants.isolation import country_context

from .helpers import HIGH, act, completed_assessment, published_policy

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.7\n%%EOF\n"


@pytest.fixture
def world(cast, settings, tmp_path):
    """One of each object in France, and the same in Kenya."""
    settings.MEDIA_ROOT = tmp_path
    req = Requirement.objects.get(framework__slug="eu-ai-act", position=0)
    objects = {}
    for country, admin, officer in ((cast.fr, cast.owner, cast.member), (cast.ke, cast.outsider, cast.outsider)):
        policy, version = published_policy(cast, country=country, admin=admin)
        assessment = completed_assessment(cast, user=officer, country=country)
        incident = incidents.incident_report(
            country=country,
            title="Leak",
            severity="major",
            description="d",
            deployment_reference="DEP-1",
            **act(officer),
        )
        item = evidence.evidence_upload(country=country, requirement=req, name="e.pdf", data=PDF, **act(officer))
        objects[country.code] = {"policy": policy, "assessment": assessment, "incident": incident, "evidence": item}
    return objects


def pages(objects: dict) -> list[str]:
    return [
        "",
        "policies/",
        f"policies/{objects['policy'].pk}/",
        "assessments/",
        f"assessments/{objects['assessment'].pk}/",
        "frameworks/",
        "frameworks/gdpr/",
        "frameworks/eu-ai-act/aia-1/",
        "incidents/",
        f"incidents/{objects['incident'].pk}/",
        f"evidence/{objects['evidence'].pk}/download/",
    ]


def text(response) -> str:
    return unescape(response.content.decode())


def error_summary(response) -> str:
    match = re.search(r'<div class="govuk-error-summary".*?</ul>', response.content.decode(), re.S)
    assert match, "the page has no GOV.UK error summary"
    return unescape(match.group(0))


def test_owner_and_members_read_every_page(client, cast, world):
    for user in (cast.owner, cast.member, cast.viewer, cast.auditor):
        client.force_login(user)
        for page in pages(world["FR"]):
            response = client.get(f"/c/fr/governance/{page}")
            assert response.status_code == 200, (user.username, page)


def test_another_country_gets_404_everywhere(client, cast, world):
    client.force_login(cast.outsider)
    for page in pages(world["FR"]):
        response = client.get(f"/c/fr/governance/{page}")
        assert response.status_code == 404, page
        assert "Leak" not in text(response)


def test_other_countries_ids_under_this_countrys_url_are_404(client, cast, world):
    client.force_login(cast.owner)
    ke = world["KE"]
    for page in (
        f"policies/{ke['policy'].pk}/",
        f"policies/{ke['policy'].pk}/versions/new/",
        f"assessments/{ke['assessment'].pk}/",
        f"incidents/{ke['incident'].pk}/",
        f"evidence/{ke['evidence'].pk}/download/",
    ):
        assert client.get(f"/c/fr/governance/{page}").status_code == 404, page
    for path in (f"policies/{ke['policy'].pk}/versions/1/acknowledge/", f"incidents/{ke['incident'].pk}/advance/"):
        assert client.post(f"/c/fr/governance/{path}").status_code == 404, path
    assert client.get("/c/fr/governance/policies/99999999999999999999/").status_code == 404
    assert client.get("/c/fr/governance/frameworks/nonsense/").status_code == 404


def test_anonymous_visitors_are_sent_to_sign_in(client, cast, world):
    for page in pages(world["FR"]):
        response = client.get(f"/c/fr/governance/{page}")
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/"), page


def test_viewers_cannot_write(client, cast, world):
    client.force_login(cast.viewer)
    assert client.get("/c/fr/governance/assessments/new/").status_code == 403
    assert client.post("/c/fr/governance/incidents/new/", {"title": "x"}).status_code == 403
    assert client.post("/c/fr/governance/policies/adopt/", {"template": "bias-and-fairness"}).status_code == 403
    assert client.post(f"/c/fr/governance/incidents/{world['FR']['incident'].pk}/advance/").status_code == 403
    with country_context(cast.fr):
        assert Incident.objects.get(pk=world["FR"]["incident"].pk).status == "open"


def test_evidence_download_serves_the_file(client, cast, world):
    client.force_login(cast.viewer)
    response = client.get(f"/c/fr/governance/evidence/{world['FR']['evidence'].pk}/download/")
    assert response.content == PDF
    assert response["Content-Type"] == "application/pdf"
    assert "attachment" in response["Content-Disposition"]


def test_an_officer_completes_an_assessment_through_the_pages(client, cast):
    client.force_login(cast.member)
    response = client.post("/c/fr/governance/assessments/new/", {"title": ""})
    assert response.status_code == 400
    assert "Enter the intended use being assessed." in error_summary(response)
    response = client.post("/c/fr/governance/assessments/new/", {"title": "Benefit triage"})
    assert response.status_code == 302
    url = response["Location"]
    # Save part of it, come back later.
    response = client.post(url, {"purpose": "essential_services", "action": "save"})
    assert response.status_code == 302
    # Completing with questions unanswered is refused, naming the first one.
    response = client.post(url, {"purpose": "essential_services", "action": "complete"})
    assert response.status_code == 400
    assert "Answer the question: Who is affected by its outputs?" in error_summary(response)
    with country_context(cast.fr):
        assert ImpactAssessment.objects.get().status == "draft"
    data = {k: v for k, v in HIGH.items() if k != "mitigations"}
    response = client.post(url, {**data, "mitigations": ["logging", "human_review"], "action": "complete"})
    assert response.status_code == 302
    page = text(client.get(url))
    assert "Impact level III" in page and "High-risk" in page
    assert "Registration in the public register of high-risk AI systems" in page
    # Completed: further posts are refused.
    assert client.post(url, {**data, "action": "complete"}).status_code == 403


def test_completing_too_early_lists_every_missing_answer_against_its_question(client, cast):
    from governance import questionnaire

    client.force_login(cast.member)
    draft = services.assessment_create(country=cast.fr, title="Early", **act(cast.member))
    url = f"/c/fr/governance/assessments/{draft.pk}/"
    response = client.post(url, {"purpose": "public_information", "action": "complete"})
    assert response.status_code == 400
    summary = error_summary(response)
    links = re.findall(r'<a href="#([^"]+)">([^<]+)</a>', summary)
    missing = [q for q in questionnaire.questions() if not q.get("multiple") and q["key"] != "purpose"]
    assert len(missing) == 6
    # One link per unanswered question, in the questionnaire's order, naming it and leading to
    # the id of its first answer (a radio button the page has).
    assert links == [(f"id_{q['key']}", f"Answer the question: {q['text']}") for q in missing]
    html = response.content.decode()
    for key, _ in links:
        assert f'id="{key}" name="{key.removeprefix("id_")}" type="radio"' in html
    # The answer given is kept on the page, and nothing was saved.
    assert 'value="public_information" checked' in html
    with country_context(cast.fr):
        saved = ImpactAssessment.objects.get(pk=draft.pk)
    assert saved.status == "draft" and saved.answers == {}
    # With nothing answered, all seven are listed; an invalid answer names its question.
    assert len(re.findall(r"<li><a ", error_summary(client.post(url, {"action": "complete"})))) == 7
    wrong = client.post(url, {"purpose": "nonsense", "action": "complete"})
    assert "Choose one of the answers for: What is the AI used for?" in error_summary(wrong)


def test_bad_answers_are_a_form_error(client, cast):
    client.force_login(cast.member)
    draft = services.assessment_create(country=cast.fr, title="x", **act(cast.member))
    response = client.post(f"/c/fr/governance/assessments/{draft.pk}/", {"purpose": "nonsense", "action": "save"})
    assert response.status_code == 400
    assert "Choose one of the answers for: What is the AI used for?" in error_summary(response)


def test_policy_journey_through_the_pages(client, cast):
    client.force_login(cast.owner)
    response = client.post("/c/fr/governance/policies/adopt/", {"template": "transparency-to-citizens"})
    assert response.status_code == 302
    detail = response["Location"]
    pk = int(detail.rstrip("/").split("/")[-1])
    assert (
        client.post(f"/c/fr/governance/policies/{pk}/versions/1/publish/", {"comment": "Reviewed."}).status_code == 302
    )
    response = client.post(f"/c/fr/governance/policies/{pk}/versions/new/", {"text": "", "language": "fr"})
    assert response.status_code == 400
    assert "Enter the text of the policy." in error_summary(response)
    response = client.post(
        f"/c/fr/governance/policies/{pk}/versions/new/",
        {"text": "Nouvelle règle.", "language": "fr", "roles": ["officer"]},
    )
    assert response.status_code == 302
    assert (
        client.post(f"/c/fr/governance/policies/{pk}/versions/2/publish/", {"comment": "Reviewed."}).status_code == 302
    )
    diff = text(client.get(f"/c/fr/governance/policies/{pk}/versions/2/changes/"))
    assert "Nouvelle règle." in diff and "Changed" in diff
    client.force_login(cast.member)
    assert "I have read and will follow this policy" in text(client.get(detail))
    assert client.post(f"/c/fr/governance/policies/{pk}/versions/2/acknowledge/").status_code == 302
    assert "I have read and will follow this policy" not in text(client.get(detail))


def test_incident_journey_through_the_pages(client, cast):
    client.force_login(cast.member)
    response = client.post(
        "/c/fr/governance/incidents/new/",
        {"title": "Bias found", "severity": "serious", "description": "", "people_affected": "-3"},
    )
    assert response.status_code == 400
    summary = error_summary(response)
    assert "Describe what happened." in summary and "cannot be negative" in summary
    response = client.post(
        "/c/fr/governance/incidents/new/",
        {
            "title": "Bias found",
            "severity": "serious",
            "description": "Refusals skewed.",
            "people_affected": "40",
            "deployment_reference": "DEP-9",
        },
    )
    assert response.status_code == 302
    page = text(client.get(response["Location"]))
    assert "Refusals skewed." in page and "Move to Investigating" in page


def test_evidence_refusal_through_the_page(client, cast, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path
    client.force_login(cast.member)
    upload = SimpleUploadedFile("report.pdf", b"MZ\x90\x00" + b"\x00" * 100, content_type="application/pdf")
    response = client.post("/c/fr/governance/frameworks/gdpr/gdpr-1/", {"file": upload})
    assert response.status_code == 400
    assert "not an accepted type" in error_summary(response)
    assert not any(tmp_path.rglob("*.*")) and not [p for p in tmp_path.rglob("*") if p.is_file()]


@pytest.mark.parametrize(
    "page, make",
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
def test_lists_keep_a_constant_query_count(client, cast, page, make):
    client.force_login(cast.owner)
    made = 0

    def grow_to(n):
        nonlocal made
        while made < n:
            make(cast, made)
            made += 1

    def count() -> int:
        client.get(f"/c/fr/governance/{page}")
        with CaptureQueriesContext(connection) as queries:
            assert client.get(f"/c/fr/governance/{page}").status_code == 200
        return len(queries)

    grow_to(2)
    few = count()
    grow_to(6)
    assert count() == few


def test_another_country_adopts_a_shared_copy_through_the_pages(client, cast):
    from governance.models import SharedPolicy

    policy, _ = published_policy(cast, slug="bias-and-fairness")
    client.force_login(cast.owner)
    assert (
        client.post(
            f"/c/fr/governance/policies/{policy.pk}/share/", {"comment": "Useful to other countries."}
        ).status_code
        == 302
    )
    shared = SharedPolicy.objects.get()
    client.force_login(cast.outsider)
    page = text(client.get("/c/ke/governance/policies/"))
    assert "From France, version 1" in page and "Adopt a copy" in page
    response = client.post("/c/ke/governance/policies/adopt/", {"shared": str(shared.pk)})
    assert response.status_code == 302
    copy = text(client.get(response["Location"]))
    assert "read-only copy" in copy and "Write a new version" not in copy
    # France's own policy stays out of reach under Kenya's URL.
    assert client.get(f"/c/ke/governance/policies/{policy.pk}/").status_code == 404


def test_the_onboarding_steps_show_on_the_country_overview(client, cast):
    from tenants.onboarding import task_list

    completed_assessment(cast)
    with country_context(cast.fr):
        steps = {task.key: task for task in task_list(cast.fr)}
    assert steps["assessment"].state == "done" and steps["assessment"].url == "/c/fr/governance/assessments/"
    assert steps["policies"].state == "not_started"


def test_a_refused_move_of_an_incident_keeps_the_steps_written(client, cast, world):
    client.force_login(cast.member)
    incident = world["FR"]["incident"]
    written = "Access revoked; logs kept. " + "x" * 20_000
    response = client.post(f"/c/fr/governance/incidents/{incident.pk}/advance/", {"steps_taken": written})
    html = response.content.decode()
    assert response.status_code == 400 and 'href="#id_steps_taken"' in html and 'id="id_steps_taken-error"' in html
    assert ">Access revoked; logs kept. x" in html
    with country_context(cast.fr):
        assert Incident.objects.get(pk=incident.pk).status == "open"
