"""The empty roster a country admin downloads is headed in their language and imports as it is filled."""

from __future__ import annotations

import pytest
from django.test import Client

from tenants.isolation import country_context
from tenants.languages.models import Preferences
from training.models import Enrolment

pytestmark = pytest.mark.django_db
URL = "/c/fr/training/manage/roster-template.csv"


@pytest.mark.parametrize(
    "language,heading",
    [
        ("fr", "Adresse électronique,Code du programme,Date limite"),
        ("ar", "البريد الإلكتروني,رمز البرنامج,تاريخ الاستحقاق"),
        ("en", "Email address,Programme code,Due date"),
    ],
)
def test_the_template_is_headed_in_the_admins_language_and_imports_back(cast, catalogue, language, heading):
    Preferences.objects.filter(user=cast.owner).update(language=language)
    client = Client()
    client.force_login(cast.owner)
    response = client.get(URL)
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    template = response.content
    assert template.decode("utf-8-sig").splitlines() == [heading]
    filled = template + b"member@example.org,ai-literacy,2027-01-31\r\n"
    from django.core.files.uploadedfile import SimpleUploadedFile

    answer = client.post(
        "/c/fr/training/manage/", {"action": "roster", "roster": SimpleUploadedFile("roster.csv", filled, "text/csv")}
    )
    assert answer.status_code == 302, answer.content.decode()[:2000]
    with country_context(cast.fr):
        assert Enrolment.objects.filter(source="roster", user=cast.member).count() == 1


def test_programs_get_the_keys(cast):
    client = Client()
    client.force_login(cast.owner)
    assert client.get(URL + "?headings=keys").content.decode("utf-8-sig") == "email,programme,due_date\r\n"


@pytest.mark.parametrize("who", ["member", "outsider"])
def test_only_the_countrys_admins_get_it(cast, who):
    client = Client()
    client.force_login(getattr(cast, who))
    assert client.get(URL).status_code == (403 if who == "member" else 404)
    assert Client().get(URL).status_code == 302  # to sign in
