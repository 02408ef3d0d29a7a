"""A country's own programmes: writing (the plain-text format), versions, sharing as a snapshot,
adopting as a read-only copy, and isolation of all of it; pages and API for four visitors."""

from __future__ import annotations

import pytest

from tenants.access import access_for
from tenants.errors import NotAllowed, ServiceError
from tenants.isolation import country_context
from tests.tenants.confirming import confirmation_shown, kept_reason, refused_without_reason
from training import selectors, services, sharing
from training.authoring import content_parse, content_to_text
from training.models import CountryProgramme, Enrolment, SharedProgramme

from .conftest import complete, enrol

pytestmark = pytest.mark.django_db

TEXT = """# Our cloud rules
Where **our** data may be processed.
link: National cloud doctrine | https://example.org/doctrine
? Where may citizen data be processed?
- Anywhere
* In qualified national clouds
- On a laptop
? Who approves an exception?
* The data protection officer
- Nobody

# Reporting an incident
Call the CERT within 24 hours.
? Within how long do you report?
- A week
* 24 hours
"""


def write(cast, text=TEXT, title="Cloud rules"):
    return sharing.country_programme_create(
        country=cast.fr,
        by=cast.owner,
        access=access_for(cast.owner),
        title=title,
        summary="For every officer.",
        content=content_parse(text),
        pass_mark=50,
    )


def test_the_plain_text_format_round_trips():
    content = content_parse(TEXT)
    assert [m["title"] for m in content["modules"]] == ["Our cloud rules", "Reporting an incident"]
    assert content["modules"][0]["quiz"][0] == {
        "question": "Where may citizen data be processed?",
        "options": ["Anywhere", "In qualified national clouds", "On a laptop"],
        "answer": 1,
    }
    assert content["modules"][0]["links"] == [
        {"title": "National cloud doctrine", "url": "https://example.org/doctrine"}
    ]
    assert content_parse(content_to_text(content)) == content


@pytest.mark.parametrize(
    "text,message",
    [
        ("", "at least one module"),
        ("Some text before any module", "Line 1: start with a module title"),
        ("# M\nText\n? Q\n- a\n- b\n", "exactly one right option"),
        ("# M\nText\n? Q\n* a\n* b\n", "Line 5: a question has one right option"),
        ("# M\nText\n", "needs a quiz"),
        ("# M\n? Q\n* a\n- b\n", "needs a title and some text"),
        ("# M\nText\nlink: x | javascript:alert(1)\n? Q\n* a\n- b\n", "not a web address"),
        ("# M\nText\n? Q\n* only one\n", "2 to 6 options"),
    ],
)
def test_bad_programme_text_is_refused_with_the_reason(text, message):
    with pytest.raises(ServiceError, match=message):
        content_parse(text)


def test_write_version_and_complete_a_country_programme(cast, catalogue):
    programme = write(cast)
    with pytest.raises(NotAllowed):
        sharing.country_programme_create(
            country=cast.fr,
            by=cast.member,
            access=access_for(cast.member),
            title="X",
            summary="",
            content=content_parse(TEXT),
        )
    with pytest.raises(ServiceError, match="already has a programme"):
        write(cast, title="cloud RULES")
    enrolment = enrol(cast.fr, cast.member, programme)
    sharing.country_programme_publish(
        programme=programme,
        by=cast.owner,
        access=access_for(cast.owner),
        content=content_parse(TEXT.replace("24 hours", "12 hours")),
        pass_mark=100,
    )
    with country_context(cast.fr):
        enrolment.refresh_from_db()
        assert enrolment.pinned.number == 1  # the new version leaves the enrolment where it started
    certificate = complete(enrolment, cast.member)
    with country_context(cast.fr):
        assert certificate.course == programme and certificate.pinned.number == 1
        assert enrol(cast.fr, cast.viewer, programme).pinned.number == 2
        code = certificate.code
    assert selectors.certificate_verify(code=code).programme == "Cloud rules"
    # A country's own programme is not a platform requirement: the member still needs AI literacy.
    assert not selectors.person_meets_requirements(country=cast.fr, user=cast.member).ok


def test_share_adopt_and_unshare_keep_countries_apart(cast, catalogue):
    programme = write(cast)
    with country_context(cast.ke):
        assert not CountryProgramme.objects.exists()  # another country's rows stay invisible
        assert not selectors.shared_programme_list(country=cast.ke).exists()
    shared = sharing.country_programme_share(
        programme=programme, by=cast.owner, access=access_for(cast.owner), reason="Useful to other countries."
    )
    with country_context(cast.ke):
        assert list(selectors.shared_programme_list(country=cast.ke)) == [shared]
    with country_context(cast.fr):
        assert not selectors.shared_programme_list(country=cast.fr).exists()  # not offered to its author
    with pytest.raises(NotAllowed):
        sharing.shared_programme_adopt(country=cast.ke, by=cast.owner, access=access_for(cast.owner), shared=shared)
    copy = sharing.shared_programme_adopt(
        country=cast.ke, by=cast.outsider, access=access_for(cast.outsider), shared=shared
    )
    assert copy.country_id == cast.ke.pk and copy.is_adopted and copy.adopted_from_country == "FR"
    with pytest.raises(ServiceError, match="already adopted"):
        sharing.shared_programme_adopt(
            country=cast.ke, by=cast.outsider, access=access_for(cast.outsider), shared=shared
        )
    with pytest.raises(ServiceError, match="read-only"):
        sharing.country_programme_publish(
            programme=copy, by=cast.outsider, access=access_for(cast.outsider), content=content_parse(TEXT)
        )
    ke_enrolment = enrol(cast.ke, cast.outsider, copy)
    with country_context(cast.ke):
        assert ke_enrolment.pinned.modules == shared.content["modules"]
    sharing.country_programme_unshare(programme=programme, by=cast.owner, access=access_for(cast.owner))
    assert not SharedProgramme.objects.filter(withdrawn_at__isnull=True).exists()
    with country_context(cast.ke):
        assert not selectors.shared_programme_list(country=cast.ke).exists()
    with country_context(cast.ke):
        assert CountryProgramme.objects.get(pk=copy.pk).title == "Cloud rules"  # the copy stays KE's
    # FR cannot enrol anyone in KE's copy, nor KE in FR's programme.
    with pytest.raises(ServiceError):
        enrol(cast.fr, cast.member, copy)


def test_roster_accepts_the_countrys_own_programme_codes(cast, catalogue):
    programme = write(cast)
    count = services.roster_import(
        country=cast.fr,
        by=cast.owner,
        access=access_for(cast.owner),
        data=f"email,programme\nmember@example.org,{programme.slug}\n".encode(),
    )
    assert count == 1
    with country_context(cast.fr):
        assert Enrolment.objects.get(local_programme=programme).user_id == cast.member.pk
    with pytest.raises(services.RosterRefused):
        services.roster_import(
            country=cast.ke,
            by=cast.outsider,
            access=access_for(cast.outsider),
            data=f"email,programme\noutsider@example.org,{programme.slug}\n".encode(),
        )


# --- Pages ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("who,expected", [("owner", 200), ("member", 403), ("outsider", 404), ("anonymous", 302)])
def test_write_page_for_four_visitors(client, cast, catalogue, who, expected):
    if who != "anonymous":
        client.force_login(getattr(cast, who))
    assert client.get("/c/fr/training/programmes/new/").status_code == expected
    response = client.post("/c/fr/training/programmes/new/", {"title": "Cloud rules", "pass_mark": 50, "content": TEXT})
    assert response.status_code == (302 if who in {"owner", "anonymous"} else expected)
    with country_context(cast.fr):
        assert CountryProgramme.objects.exists() == (who == "owner")


def test_write_page_reports_bad_content_and_keeps_nothing(client, cast, catalogue):
    client.force_login(cast.owner)
    response = client.post(
        "/c/fr/training/programmes/new/",
        {"title": "Cloud rules", "pass_mark": 50, "content": "# M\nText\n? Q\n- a\n- b\n"},
    )
    assert response.status_code == 400 and "exactly one right option" in response.content.decode()
    with country_context(cast.fr):
        assert not CountryProgramme.objects.exists()


@pytest.mark.parametrize("who", ["owner", "member", "outsider", "anonymous"])
def test_programme_and_shared_pages_for_four_visitors(client, cast, catalogue, who):
    programme = write(cast)
    shared = sharing.country_programme_share(
        programme=programme, by=cast.owner, access=access_for(cast.owner), reason="Useful to other countries."
    )
    if who != "anonymous":
        client.force_login(getattr(cast, who))
    detail = client.get(f"/c/fr/training/programmes/{programme.pk}/")
    shared_page = client.get("/c/fr/training/shared/")
    if who == "anonymous":
        assert detail.status_code == 302 and shared_page.status_code == 302
    elif who == "outsider":
        assert detail.status_code == 404 and shared_page.status_code == 404
        assert client.get(f"/c/ke/training/programmes/{programme.pk}/").status_code == 404
        page = client.get("/c/ke/training/shared/").content.decode()
        assert "Cloud rules" in page  # the published snapshot, offered to KE
        assert client.post(f"/c/ke/training/shared/{shared.pk}/adopt/").status_code == 302
    else:
        assert detail.status_code == 200 and "Where <strong>our</strong> data" in detail.content.decode()
        assert ("Publish a new version" in detail.content.decode()) == (who == "owner")
        assert shared_page.status_code == 200 and "Cloud rules" not in shared_page.content.decode()


def test_publish_and_share_from_the_page(client, cast, catalogue):
    programme = write(cast)
    client.force_login(cast.member)
    assert client.post(f"/c/fr/training/programmes/{programme.pk}/share/", {"share": "1"}).status_code == 403
    assert (
        client.post(f"/c/fr/training/programmes/{programme.pk}/", {"pass_mark": 60, "content": TEXT}).status_code == 403
    )
    client.force_login(cast.owner)
    share = f"/c/fr/training/programmes/{programme.pk}/share/"
    assert f'href="{share}"' in client.get(f"/c/fr/training/programmes/{programme.pk}/").content.decode()
    confirmation_shown(client.get(share))
    refused_without_reason(client, share)
    assert not SharedProgramme.objects.filter(source_programme_id=programme.pk).exists()
    assert client.post(share, {"comment": "Kenya asked for it."}).status_code == 302
    assert SharedProgramme.objects.filter(source_programme_id=programme.pk).exists()
    assert kept_reason(cast.fr, "training.programme_shared")[1].reason == "Kenya asked for it."
    assert client.get(share).status_code == 404  # shared already: only stopping is offered
    response = client.post(
        f"/c/fr/training/programmes/{programme.pk}/", {"pass_mark": 60, "content": TEXT + "\n# More\n"}
    )
    assert response.status_code == 400 and "needs a title and some text" in response.content.decode()
    assert (
        client.post(f"/c/fr/training/programmes/{programme.pk}/", {"pass_mark": 60, "content": TEXT}).status_code == 302
    )
    with country_context(cast.fr):
        assert CountryProgramme.objects.get(pk=programme.pk).versions.count() == 2


# --- API ------------------------------------------------------------------------------------------


def test_api_writes_lists_and_enrols_in_a_country_programme(api, cast, catalogue):
    body = {"title": "Cloud rules", "pass_mark": 50, "content": content_parse(TEXT)}
    api.force_login(cast.member)
    assert api.post("/api/v1/countries/FR/training/programmes/", body, format="json").status_code == 403
    api.force_login(cast.owner)
    response = api.post("/api/v1/countries/FR/training/programmes/", body, format="json")
    assert response.status_code == 201 and response.json()["kind"] == "country"
    slug = response.json()["slug"]
    bad = api.post(
        "/api/v1/countries/FR/training/programmes/",
        {**body, "title": "Other", "content": {"modules": []}},
        format="json",
    )
    assert bad.status_code == 400 and "content.modules" in bad.json()["errors"]
    api.force_login(cast.member)
    listed = {row["slug"] for row in api.get("/api/v1/countries/FR/training/programmes/").json()}
    assert slug in listed and "ai-literacy" in listed
    response = api.post("/api/v1/countries/FR/training/enrolments/", {"programme": slug}, format="json")
    assert response.status_code == 201 and response.json()["programme"] == slug
    api.force_login(cast.outsider)
    assert slug not in {row["slug"] for row in api.get("/api/v1/countries/KE/training/programmes/").json()}
    response = api.post("/api/v1/countries/KE/training/enrolments/", {"programme": slug}, format="json")
    assert response.status_code == 400 and "programme" in response.json()["errors"]
    api.logout()
    assert api.post("/api/v1/countries/FR/training/programmes/", body, format="json").status_code == 401
