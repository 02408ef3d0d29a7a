"""Training pages for four visitors (owner, same-country member, another country's member,
anonymous), other countries' ids, forms with bad input, and constant query counts."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tenants.isolation import country_context
from tenants.models import Membership
from tenants.record.models import CountryEvent
from training.models import Enrolment, QuizAttempt

from .conftest import complete, enrol, right_answers

pytestmark = pytest.mark.django_db
User = get_user_model()


@pytest.fixture
def setup(cast, catalogue):
    """The member part-way through AI literacy, the owner with a certificate."""
    enrolment = enrol(cast.fr, cast.member, catalogue["ai-literacy"])
    certificate = complete(enrol(cast.fr, cast.owner, catalogue["ai-literacy"]), cast.owner)
    return {"enrolment": enrolment, "certificate": certificate, "owner_enrolment": certificate.enrolment}


def login(client, cast, who):
    if who != "anonymous":
        client.force_login(getattr(cast, who))


def pages(setup):
    e, c, oe = setup["enrolment"], setup["certificate"], setup["owner_enrolment"]
    return {
        "home": ("/c/fr/training/", {"owner": 200, "member": 200}),
        "enrolment": (f"/c/fr/training/enrolments/{e.pk}/", {"owner": 200, "member": 200}),
        "module": (f"/c/fr/training/enrolments/{e.pk}/modules/0/", {"owner": 200, "member": 200}),
        # The member cannot see the owner's training: it is not among theirs (404, not 403).
        "owner_enrolment": (f"/c/fr/training/enrolments/{oe.pk}/", {"owner": 200, "member": 404}),
        "certificate": (f"/c/fr/training/certificates/{c.pk}/", {"owner": 200, "member": 404}),
        "manage": ("/c/fr/training/manage/", {"owner": 200, "member": 403}),
        "cohort": ("/c/fr/training/cohort/", {"owner": 200, "member": 403}),
    }


@pytest.mark.parametrize("page", ["home", "enrolment", "module", "owner_enrolment", "certificate", "manage", "cohort"])
@pytest.mark.parametrize("who", ["owner", "member", "outsider", "anonymous"])
def test_pages_for_four_visitors(client, cast, setup, page, who):
    path, expected = pages(setup)[page]
    login(client, cast, who)
    response = client.get(path)
    if who == "anonymous":
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    elif who == "outsider":
        assert response.status_code == 404
        if page not in {"home", "manage", "cohort"}:
            # Under the outsider's own country, France's ids are unknown too.
            assert client.get(path.replace("/c/fr/", "/c/ke/")).status_code == 404
    else:
        assert response.status_code == expected[who]


def test_partner_manager_sees_the_cohort_and_the_auditor_does_not(client, cast, setup):
    client.force_login(cast.partner)
    response = client.get("/c/fr/training/cohort/")
    assert response.status_code == 200
    assert "Ministère du Numérique" in response.content.decode()
    client.force_login(cast.auditor)
    assert client.get("/c/fr/training/cohort/").status_code == 403


def test_member_takes_a_quiz_and_completes_the_programme(client, cast, setup):
    enrolment = setup["enrolment"]
    client.force_login(cast.member)
    url = f"/c/fr/training/enrolments/{enrolment.pk}/modules/0/"
    page = client.get(url).content.decode()
    assert "<strong>Fluent is not the same as correct.</strong>" in page  # Markdown rendered
    wrong = {f"q{i}": (a + 1) % 3 for i, a in enumerate(right_answers(enrolment, 0))}
    response = client.post(url, wrong)
    assert response.status_code == 200 and "you need 66% to pass" in response.content.decode()
    response = client.post(url, {"q0": right_answers(enrolment, 0)[0]})  # incomplete
    assert response.status_code == 400 and "Choose an answer to this question." in response.content.decode()
    for index in (0, 1):
        answers = {f"q{i}": a for i, a in enumerate(right_answers(enrolment, index))}
        response = client.post(f"/c/fr/training/enrolments/{enrolment.pk}/modules/{index}/", answers)
        assert response.status_code == 302
    page = client.get(f"/c/fr/training/enrolments/{enrolment.pk}/").content.decode()
    assert "Programme completed" in page
    code = re.search(r"Certificate <strong>(FR-\d+-[0-9a-f]{20})</strong>", page)[1]
    assert "Valid" in client.get(f"/certificates/{code}/").content.decode()


def test_others_cannot_answer_someone_elses_quiz(client, cast, setup):
    enrolment = setup["enrolment"]
    client.force_login(cast.owner)
    answers = {f"q{i}": a for i, a in enumerate(right_answers(enrolment, 0))}
    assert client.post(f"/c/fr/training/enrolments/{enrolment.pk}/modules/0/", answers).status_code == 403
    with country_context(cast.fr):
        assert not QuizAttempt.objects.filter(enrolment=enrolment).exists()


def test_enrol_self_from_the_catalogue(client, cast, setup):
    client.force_login(cast.viewer)
    response = client.post("/c/fr/training/programmes/impact-assessment/enrol/")
    assert response.status_code == 302
    with country_context(cast.fr):
        assert Enrolment.objects.filter(user=cast.viewer, programme__slug="impact-assessment").exists()
    assert client.post("/c/fr/training/programmes/no-such/enrol/").status_code == 404
    client.force_login(cast.outsider)
    assert client.post("/c/fr/training/programmes/impact-assessment/enrol/").status_code == 404
    client.logout()
    assert client.post("/c/fr/training/programmes/impact-assessment/enrol/").status_code == 302


def test_roster_upload_with_bad_rows_shows_each_line_and_imports_nothing(client, cast, setup):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(cast.owner)
    upload = SimpleUploadedFile("roster.csv", b"email,programme\nviewer@example.org,ai-literacy\nx@example.org,nope\n")
    response = client.post("/c/fr/training/manage/", {"action": "roster", "roster": upload})
    page = response.content.decode()
    assert response.status_code == 400
    assert "nothing was imported" in page and "There is no programme" in page
    assert re.search(r'<td class="govuk-table__cell">3</td>', page)
    with country_context(cast.fr):
        assert not Enrolment.objects.filter(user=cast.viewer).exists()
    upload = SimpleUploadedFile("roster.csv", b"email,programme\nviewer@example.org,ai-literacy\n")
    assert client.post("/c/fr/training/manage/", {"action": "roster", "roster": upload}).status_code == 302
    with country_context(cast.fr):
        assert Enrolment.objects.filter(user=cast.viewer, source="roster").exists()
    assert client.post("/c/fr/training/manage/", {"action": "roster"}).status_code == 400


def test_enrol_by_role_form(client, cast, setup):
    client.force_login(cast.owner)
    response = client.post(
        "/c/fr/training/manage/", {"action": "role", "programme": "impact-assessment", "role": "viewer"}
    )
    assert response.status_code == 302
    response = client.post("/c/fr/training/manage/", {"action": "role", "programme": "nope", "role": "boss"})
    assert response.status_code == 400 and "Choose a programme from the list." in response.content.decode()
    with country_context(cast.fr):
        assert CountryEvent.objects.filter(action="training.role_enrolled").count() == 1


def test_certificate_download_is_an_attachment(client, cast, setup):
    client.force_login(cast.owner)
    certificate = setup["certificate"]
    response = client.get(f"/c/fr/training/certificates/{certificate.pk}/?download=1")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="certificate-FR-')


def count_queries(client, path: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    assert response.status_code == 200
    return len(queries)


def add_people(cast, catalogue, count: int, start: int) -> None:
    with country_context(cast.fr):
        for n in range(start, start + count):
            user = User.objects.create(username=f"learner{n}", first_name="Learner", last_name=f"{n}")
            Membership.objects.create(country=cast.fr, user=user, organisation=cast.fr_agency, role="officer")
    for n in range(start, start + count):
        user = User.objects.get(username=f"learner{n}")
        enrolment = enrol(cast.fr, user, catalogue["ai-literacy"], by=cast.owner)
        if n % 2:
            complete(enrolment, user)


@pytest.mark.parametrize("path", ["/c/fr/training/", "/c/fr/training/cohort/"])
def test_list_pages_keep_a_constant_query_count(client, cast, catalogue, setup, path):
    client.force_login(cast.owner)
    add_people(cast, catalogue, 3, 0)
    small = count_queries(client, path)
    add_people(cast, catalogue, 9, 3)
    assert count_queries(client, path) == small


# --- Removing a required training: confirmed, with a reason ----------------------------------------


def test_removing_a_requirement_asks_for_a_reason_and_a_bare_post_removes_nothing(client, cast, catalogue):
    from tenants.access import access_for
    from tenants.record.models import ActionReason
    from training import services
    from training.models import CountryRequirement

    requirement = services.requirement_add(
        country=cast.fr, by=cast.owner, access=access_for(cast.owner), programme=catalogue["ai-literacy"], role="viewer"
    )
    page = f"/c/fr/training/requirements/{requirement.pk}/remove/"

    def still_there() -> bool:
        with country_context(cast.fr):
            return CountryRequirement.objects.filter(pk=requirement.pk).exists()

    # The list links to the confirmation page; it no longer removes in one click.
    client.force_login(cast.owner)
    listing = client.get("/c/fr/training/requirements/").content.decode()
    assert f'href="{page}"' in listing and 'name="remove"' not in listing
    # The old one-click POST answers with the confirmation page and removes nothing.
    response = client.post("/c/fr/training/requirements/", {"remove": str(requirement.pk)})
    assert response.status_code == 302 and response["Location"] == page
    assert still_there()
    confirm = client.get(page).content.decode()
    assert 'class="govuk-warning-text"' in confirm and "Yes, remove the requirement" in confirm
    response = client.post(page, {"comment": "   "})
    assert response.status_code == 400
    assert "Say why: the reason goes on the record." in response.content.decode()
    assert still_there()
    # Others: the member may not (403), another country's admin sees nothing (404), anonymous signs in.
    for who, expected in ((cast.member, 403), (cast.outsider, 404)):
        client.force_login(who)
        assert client.post(page, {"comment": "Because."}).status_code == expected
        assert client.get(page).status_code == expected
    client.logout()
    assert client.post(page, {"comment": "Because."})["Location"].startswith("/accounts/login/")
    assert still_there()
    # With a reason, it goes, and the reason is kept beside the record.
    client.force_login(cast.owner)
    response = client.post(page, {"comment": "The new course covers it."})
    assert response.status_code == 302 and not still_there()
    with country_context(cast.fr):
        event = CountryEvent.objects.filter(action="training.requirement_removed").latest("id")
        assert ActionReason.objects.get(pk=event.payload["reason"]).reason == "The new course covers it."
    assert client.get(page).status_code == 404


TRANSLATED_TITLE = {
    "fr": "Conduire une évaluation d’impact",
    "es": "Realizar una evaluación de impacto",
    "pt": "Realizar uma avaliação de impacto",
    "ar": "إجراء تقييم للأثر",
    "sw": "Kufanya tathmini ya athari",
}


@pytest.mark.parametrize("language", sorted(TRANSLATED_TITLE))
def test_messages_name_a_catalogue_course_in_the_readers_language(client, cast, catalogue, language):
    from django.contrib.messages import get_messages

    from tenants.languages.models import Preferences

    title = TRANSLATED_TITLE[language]
    Preferences.objects.filter(user__in=[cast.viewer, cast.owner]).update(language=language)
    client.force_login(cast.viewer)
    response = client.post("/c/fr/training/programmes/impact-assessment/enrol/")
    assert [title in str(m) for m in get_messages(response.wsgi_request)] == [True]
    client.logout()
    client.force_login(cast.owner)
    response = client.post(
        "/c/fr/training/manage/", {"action": "role", "programme": "impact-assessment", "role": "officer"}
    )
    assert [title in str(m) for m in get_messages(response.wsgi_request)] == [True]
    html = client.get("/c/fr/training/manage/").content.decode()
    assert f">{title}</option>" in html and ">Running an impact assessment</option>" not in html
