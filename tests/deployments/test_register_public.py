"""The public register, tested like isolation: for every visitor (anonymous, a member of the
country, a member of another, a partner manager) the pages, the JSON and the CSV show only that
country's published entries; never a draft, never another country's entry, never a withdrawn
entry's content, never a person's name unless they chose to be named; the database itself admits
nothing else in the public reading mode; and the lists cost the same number of queries however
many entries there are."""

from __future__ import annotations

import csv
import io
import re
from html import unescape

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from deployments.register import services as register
from tenants.isolation import country_context, public_country_context
from tests.deployments.conftest import act
from tests.deployments.register_helpers import published, running, world

pytestmark = pytest.mark.django_db
VISITORS = ["anonymous", "owner", "viewer", "outsider", "partner", "auditor", "platform_admin"]
NEVER = [
    "Secret draft system",
    "Draft text never to be seen",
    "Withdrawn summary never to be seen",
    "Kenyan helpline entry",
    "Kenyan text",
]


@pytest.fixture
def registers(cast, ready):
    return world(cast, ready)


def visit(client, cast, who):
    if who == "platform_admin":
        from django.contrib.auth import get_user_model

        client.force_login(get_user_model().objects.create_superuser("root", "root@example.org", "pw-for-tests-only"))
    elif who != "anonymous":
        client.force_login(getattr(cast, who))
    return client


def text(response) -> str:
    return unescape(response.content.decode())


def people(cast) -> list[str]:
    return [
        u.get_full_name() for u in (cast.owner, cast.member, cast.viewer, cast.outsider, cast.partner, cast.auditor)
    ]


@pytest.mark.parametrize("who", VISITORS)
def test_the_register_shows_only_this_countrys_published_entries_to_everyone(client, cast, registers, who):
    client = visit(client, cast, who)
    for code in ("fr", "FR", "Fr"):
        page = client.get(f"/register/{code}/")
        assert page.status_code == 200
        body = text(page)
        assert "Tax form helper" in body and "Retired chatbot" in body
        assert "Replaced by the tax form helper." not in body  # the reason is on the entry's page
        for hidden in NEVER + people(cast):
            assert hidden not in body, (who, hidden)


@pytest.mark.parametrize("who", VISITORS)
def test_entry_pages_for_everyone(client, cast, registers, who):
    client = visit(client, cast, who)
    current = text(client.get(f"/register/fr/{registers.published.pk}/"))
    assert "Tax form helper" in current and "You may ask for a person to review any answer." in current
    assert "Added the human review route." in current and "First publication" in current
    assert 'lang="en"' in current
    earlier = client.get(f"/register/fr/{registers.published.pk}/versions/1/")
    assert earlier.status_code == 200 and "It has been replaced by version 2" in text(earlier)
    assert "You may ask for a person" not in text(earlier)
    gone = text(client.get(f"/register/fr/{registers.withdrawn.pk}/"))
    assert "Retired chatbot" in gone and "Replaced by the tax form helper." in gone
    assert "Withdrawn summary never to be seen" not in gone and "What it does" not in gone
    for path in (
        f"/register/fr/{registers.draft.pk}/",
        f"/register/fr/{registers.draft.pk}/record.json",
        f"/register/fr/{registers.draft.pk}/versions/1/",
        f"/register/fr/{registers.kenyan.pk}/",
        f"/register/fr/{registers.kenyan.pk}/record.json",
        f"/register/fr/{registers.withdrawn.pk}/versions/1/",
        f"/register/fr/{registers.published.pk}/versions/3/",
        "/register/fr/99999999999999999999/",
        "/register/zz/",
        "/register/1/",
        "/register/fra/",
    ):
        response = client.get(path)
        assert response.status_code == 404, (who, path)
        assert not any(hidden in response.content.decode() for hidden in NEVER)
    for person in people(cast):
        assert person not in current


@pytest.mark.parametrize("who", VISITORS)
def test_the_json_and_csv_hold_the_same_and_nothing_else(client, cast, registers, who):
    client = visit(client, cast, who)
    data = client.get("/register/fr/register.json").json()
    assert data["country"] == {"code": "FR", "name": "France"}
    names = sorted(e["name"] for e in data["entries"])
    assert names == ["Retired chatbot", "Tax form helper"]
    current = next(e for e in data["entries"] if e["state"] == "published")
    assert current["version"] == 2 and [h["version"] for h in current["history"]] == [1, 2]
    assert current["tier_1"]["accountable_person"] is None
    assert current["tier_2"]["risks_mitigations_and_impact_assessment"]["impact_assessment"]["impact_level"] == "I"
    gone = next(e for e in data["entries"] if e["state"] == "withdrawn")
    assert set(gone) >= {"withdrawn_on", "withdrawal_reason"} and "tier_1" not in gone
    raw = client.get("/register/fr/register.json").content.decode()
    response = client.get("/register/fr/register.csv?headings=keys")
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert sorted(r["name"] for r in rows) == names
    single = client.get(f"/register/fr/{registers.published.pk}/record.json").json()
    assert single["tier_1"]["name"] == "Tax form helper" and single["country"] == "FR"
    for hidden in NEVER + people(cast):
        assert hidden not in raw and hidden not in response.content.decode(), (who, hidden)
    ke = client.get("/register/ke/register.json").json()
    assert [e["name"] for e in ke["entries"]] == ["Kenyan helpline entry"]


def test_a_name_shows_once_the_accountable_person_chooses_it(client, cast, registers):
    register.register_contact_name(entry=registers.published, named=True, **act(cast.owner))
    assert "Olga Owner" in text(client.get(f"/register/fr/{registers.published.pk}/"))
    entries = client.get("/register/fr/register.json").json()["entries"]
    assert next(e for e in entries if e["state"] == "published")["tier_1"]["accountable_person"] == "Olga Owner"
    register.register_contact_name(entry=registers.published, named=False, **act(cast.owner))
    assert "Olga Owner" not in text(client.get(f"/register/fr/{registers.published.pk}/"))


def test_csv_cells_never_run_as_formulas(client, cast, ready):
    published(
        running(cast, ready),
        cast,
        {"name": '=HYPERLINK("http://evil.example","click")', "summary": "+1+1 and @SUM(A1)"},
    )
    rows = list(csv.reader(io.StringIO(client.get("/register/fr/register.csv?headings=keys").content.decode())))
    header, row = rows[0], rows[1]
    assert row[header.index("name")].startswith("'=")
    assert row[header.index("what_it_does")].startswith("'+")


def test_the_database_admits_only_published_rows_in_the_public_mode(cast, registers):
    """Below the ORM: raw SQL in FR's public reading mode sees FR's published rows only."""
    with public_country_context(cast.fr), connection.cursor() as cursor:
        cursor.execute("SELECT id, state FROM deployments_registerentry ORDER BY id")
        entries = cursor.fetchall()
        cursor.execute("SELECT entry_id, number, status FROM deployments_registerversion ORDER BY entry_id, number")
        versions = cursor.fetchall()
        cursor.execute("SELECT count(*) FROM deployments_deploymentrequest")
        requests = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM governance_impactassessment")
        assessments = cursor.fetchone()[0]
    assert entries == [(registers.published.pk, "published"), (registers.withdrawn.pk, "withdrawn")]
    assert versions == [(registers.published.pk, 1, "superseded"), (registers.published.pk, 2, "published")]
    assert requests == 0 and assessments == 0
    with country_context(cast.fr), connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM deployments_registerentry")
        assert cursor.fetchone()[0] == 3  # the country itself sees its draft and withdrawn entries


def test_public_pages_only_read(client, cast, registers):
    for path in ("/register/fr/", "/register/fr/register.json", f"/register/fr/{registers.published.pk}/"):
        assert client.post(path).status_code == 405


def test_the_lists_cost_the_same_however_many_entries(client, cast, ready):
    published(running(cast, ready), cast)

    def queries(path):
        with CaptureQueriesContext(connection) as captured:
            assert client.get(path).status_code == 200
        return len(captured)

    few = {path: queries(path) for path in ("/register/fr/", "/register/fr/register.json", "/register/fr/register.csv")}
    for n in range(3):
        published(running(cast, ready, title=f"Another system {n}"), cast, {"name": f"Another system {n}"})
    assert {path: queries(path) for path in few} == few
    assert "Another system 2" in text(client.get("/register/fr/"))


def _csv(client, path: str, language: str) -> list[list[str]]:
    client.cookies["django_language"] = language  # the switcher's choice of a visitor
    return list(csv.reader(io.StringIO(client.get(path).content.decode())))


def test_csv_headings_are_in_the_readers_language_and_keys_for_programs(client, cast, registers):
    # docs/architecture.md, Languages: a person reads the headings in their language; a program asks
    # for the stable keys (?headings=keys), the same for every reader, as the JSON has them.
    french = _csv(client, "/register/fr/register.csv", "fr")
    arabic = _csv(client, "/register/fr/register.csv", "ar")
    assert french[0][:3] == ["Numéro de l’entrée", "État", "Nom"]
    assert "Ce que fait le système" in french[0] and "Adresse de l’entrée" in french[0]
    assert arabic[0][:3] == ["رقم القيد", "الحالة", "الاسم"]
    assert french[1:] == arabic[1:]  # the rows are data: the same for every reader
    keys_fr = _csv(client, "/register/fr/register.csv?headings=keys", "fr")
    keys_ar = _csv(client, "/register/fr/register.csv?headings=keys", "ar")
    assert keys_fr == keys_ar and keys_fr[1:] == french[1:]
    assert all(re.fullmatch(r"[a-z][a-z0-9_]*", name) for name in keys_fr[0]), keys_fr[0]
    assert keys_fr[0][:3] == ["id", "state", "name"]


def test_the_register_page_shows_the_drawn_facts_in_the_readers_language(client, cast, registers):
    from django.utils import translation

    from deployments.register.models import RegisterVersion

    with country_context(cast.fr):
        drawn = RegisterVersion.objects.filter(entry=registers.published, status="published").first().drawn
    facts = [drawn["hosting_region"], drawn["data_classification"]]
    with translation.override("fr"):
        french = [translation.gettext(fact) for fact in facts]
    assert all(f != e for f, e in zip(french, facts)), facts  # stored in English, translated on the page
    client.cookies["django_language"] = "fr"
    page = text(client.get(f"/register/fr/{registers.published.pk}/"))
    for english, translated in zip(facts, french):
        assert translated in page and english not in page, (english, translated)
