"""A module's quiz is offered until it is passed, then its page shows the pass (when, with which
score, and the certificate once the programme is completed), for the person and for those who may
read their training; an answer posted to a passed module (an old tab, the API) is refused and
records nothing. A programme the reader is enrolled in says where they are in it, never "Enrol"."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.formats import date_format

from tenants.access import access_for
from tenants.errors import ServiceError
from tenants.isolation import country_context
from tenants.models import Membership
from tenants.record.models import CountryEvent
from tests.languages.pseudo import visible_text
from training import services
from training.models import Enrolment, QuizAttempt

from .conftest import enrol, right_answers

pytestmark = pytest.mark.django_db
User = get_user_model()


def words(response) -> str:
    return " ".join(visible_text(response.content.decode()).split())


def today() -> str:
    return date_format(timezone.now(), "DATE_FORMAT")


def pass_module(enrolment, user, index: int):
    return services.quiz_submit(
        enrolment=enrolment, by=user, access=access_for(user), module=index, answers=right_answers(enrolment, index)
    )


def recorded(cast) -> tuple[int, int]:
    with country_context(cast.fr):
        return QuizAttempt.objects.count(), CountryEvent.objects.count()


@pytest.fixture
def halfway(cast, catalogue):
    """The member has passed the first of AI literacy's two modules."""
    enrolment = enrol(cast.fr, cast.member, catalogue["ai-literacy"])
    pass_module(enrolment, cast.member, 0)
    return enrolment


def test_the_person_sees_their_pass_in_place_of_the_quiz(client, cast, halfway):
    client.force_login(cast.member)
    response = client.get(f"/c/fr/training/enrolments/{halfway.pk}/modules/0/")
    text = words(response)
    assert response.status_code == 200
    assert f"You passed this quiz on {today()}, with 3 of 3 correct." in text
    assert "Go to the next module" in text
    assert "Submit answers" not in text and 'type="radio"' not in response.content.decode()
    # The module not yet passed still offers its quiz.
    text = words(client.get(f"/c/fr/training/enrolments/{halfway.pk}/modules/1/"))
    assert "Submit answers" in text and "You passed" not in text


@pytest.mark.parametrize("who", ["owner", "partner", "auditor"])
def test_those_who_read_everyones_training_see_the_pass_by_name(client, cast, halfway, who):
    client.force_login(getattr(cast, who))
    response = client.get(f"/c/fr/training/enrolments/{halfway.pk}/modules/0/")
    assert response.status_code == 200
    text = words(response)
    assert f"Marc Member passed this quiz on {today()}, with 3 of 3 correct." in text
    assert "Submit answers" not in text and "You passed" not in text


@pytest.mark.parametrize("who, status", [("viewer", 404), ("outsider", 404), ("anonymous", 302)])
def test_others_do_not_see_the_pass(client, cast, halfway, who, status):
    if who != "anonymous":
        client.force_login(getattr(cast, who))
    response = client.get(f"/c/fr/training/enrolments/{halfway.pk}/modules/0/")
    assert response.status_code == status
    assert "passed this quiz" not in words(response)


def test_a_completed_programme_links_each_module_to_the_certificate(client, cast, halfway):
    pass_module(halfway, cast.member, 1)
    with country_context(cast.fr):
        certificate = Enrolment.objects.get(pk=halfway.pk).certificate
    client.force_login(cast.member)
    for index in (0, 1):
        response = client.get(f"/c/fr/training/enrolments/{halfway.pk}/modules/{index}/")
        text = words(response)
        assert f"The programme was completed on {today()}. View the certificate" in text, index
        assert f'href="/c/fr/training/certificates/{certificate.pk}/"' in response.content.decode()
        assert "Submit answers" not in text


def test_an_answer_to_a_passed_module_is_refused_and_records_nothing(client, cast, halfway):
    before = recorded(cast)
    client.force_login(cast.member)
    wrong = {f"q{i}": "0" for i in range(3)}
    response = client.post(f"/c/fr/training/enrolments/{halfway.pk}/modules/0/", wrong)
    assert response.status_code == 400
    text = words(response)
    assert f"You passed this module's quiz on {today()}, with 3 of 3 correct: it needs no other answer." in text
    assert "There is a problem" in text and "You passed this quiz on" in text
    assert recorded(cast) == before
    with pytest.raises(ServiceError) as refused:
        pass_module(halfway, cast.member, 0)
    assert refused.value.field == "module"
    assert recorded(cast) == before


def test_the_api_refuses_an_answer_to_a_passed_module(client, cast, halfway):
    before = recorded(cast)
    client.force_login(cast.member)
    url = f"/api/v1/countries/FR/training/enrolments/{halfway.pk}/quiz/"
    response = client.post(url, {"module": 0, "answers": right_answers(halfway, 0)}, content_type="application/json")
    assert response.status_code == 400
    body = response.json()
    assert body["errors"]["module"] == [
        f"You passed this module's quiz on {today()}, with 3 of 3 correct: it needs no other answer."
    ]
    assert recorded(cast) == before
    response = client.post(url, {"module": 1, "answers": right_answers(halfway, 1)}, content_type="application/json")
    assert response.status_code == 200 and response.json()["enrolment_status"] == "completed"


# --- The programme cards ---------------------------------------------------------------------------------


def card(html: str, slug: str) -> str:
    cards = re.findall(r'<div class="govuk-summary-card".*?</div>\s*</div>', html, flags=re.S)
    found = [c for c in cards if f"<code>{slug}</code>" in c]
    assert len(found) == 1, slug
    return found[0]


def test_a_programme_the_reader_is_in_says_where_they_are(client, cast, catalogue, halfway):
    client.force_login(cast.member)
    html = client.get("/c/fr/training/").content.decode()
    mine = " ".join(visible_text(card(html, "ai-literacy")).split())
    assert f"In progress You enrolled on {today()}: 1 of 2 modules done." in mine and "Continue" in mine
    assert "Enrol" not in mine.replace("enrolled", "")
    assert "Enrol" in visible_text(card(html, "impact-assessment"))  # one they are not in
    pass_module(halfway, cast.member, 1)
    html = client.get("/c/fr/training/").content.decode()
    mine = " ".join(visible_text(card(html, "ai-literacy")).split())
    assert f"Completed You completed it on {today()}. View your certificate" in mine


def test_a_country_admin_among_many_enrolments_is_not_offered_theirs_again(client, cast, catalogue):
    """The page lists the first 200 of the country's enrolments; the admin's own, older, is not
    among them, and its card still says so."""
    mine = enrol(cast.fr, cast.owner, catalogue["ai-literacy"])
    people = User.objects.bulk_create(User(username=f"trainee{n}", email=f"trainee{n}@example.org") for n in range(201))
    programme = catalogue["ai-literacy"]
    with country_context(cast.fr):
        Membership.objects.bulk_create(
            Membership(country=cast.fr, user=p, organisation=cast.fr_agency, role="viewer", status="active")
            for p in people
        )
        Enrolment.objects.bulk_create(
            Enrolment(country=cast.fr, user=p, programme=programme, version=mine.version) for p in people
        )
    client.force_login(cast.owner)
    html = client.get("/c/fr/training/").content.decode()
    text = " ".join(visible_text(card(html, "ai-literacy")).split())
    assert "You enrolled on" in text and "Enrol in" not in text
