"""The register's pages inside a country, for the owner (country admin), a member (officer), a
viewer, another country's member and an anonymous visitor; drafting, publishing and withdrawing
through the pages, with errors at 400 that change nothing; other countries' ids are 404."""

from __future__ import annotations

from html import unescape

import pytest

from deployments.register.models import RegisterEntry, RegisterVersion
from tenants.isolation import country_context
from tests.deployments.register_helpers import TEXTS, running, world

pytestmark = pytest.mark.django_db


@pytest.fixture
def registers(cast, ready):
    return world(cast, ready)


def text(response) -> str:
    return unescape(response.content.decode())


def counts(cast):
    with country_context(cast.fr):
        return (
            RegisterEntry.objects.count(),
            RegisterVersion.objects.count(),
            list(RegisterVersion.objects.order_by("pk").values_list("status", "name")),
        )


def reads(registers) -> list[str]:
    return ["", f"{registers.published.pk}/", f"{registers.draft.pk}/", f"{registers.withdrawn.pk}/"]


@pytest.mark.parametrize("who", ["owner", "member", "viewer", "partner", "auditor"])
def test_everyone_who_may_see_the_country_reads_its_register_pages(client, cast, registers, who):
    client.force_login(getattr(cast, who))
    for page in reads(registers):
        response = client.get(f"/c/fr/register/{page}")
        assert response.status_code == 200, (who, page)
    listing = text(client.get("/c/fr/register/"))
    assert "Tax form helper" in listing and "Secret draft system" in listing


def test_another_country_and_anonymous_visitors(client, cast, registers):
    for page in reads(registers):
        response = client.get(f"/c/fr/register/{page}")
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    client.force_login(cast.outsider)
    for page in reads(registers):
        response = client.get(f"/c/fr/register/{page}")
        assert response.status_code == 404 and "Secret draft system" not in text(response)
    client.force_login(cast.owner)
    for path in (f"{registers.kenyan.pk}/", f"new/{registers.kenyan.request_id}/", "eu/99999999/", "9" * 25 + "/"):
        assert client.get(f"/c/fr/register/{path}").status_code == 404, path
    for action in ("publish", "withdraw", "new-version", "contact"):
        assert client.post(f"/c/fr/register/{registers.kenyan.pk}/{action}/").status_code == 404


def test_drafting_through_the_page(client, cast, ready):
    deployment = running(cast, ready)
    client.force_login(cast.viewer)
    assert client.get(f"/c/fr/register/new/{deployment.pk}/").status_code == 403
    client.force_login(cast.member)
    form = text(client.get(f"/c/fr/register/new/{deployment.pk}/"))
    assert 'value="fr"' in form  # the country's language by default
    before = counts(cast)
    bad = client.post(f"/c/fr/register/new/{deployment.pk}/", {**TEXTS, "accountable_role": "Marc Member"})
    assert bad.status_code == 400
    assert "govuk-error-summary" in bad.content.decode() and "names Marc Member" in text(bad)
    assert counts(cast) == before
    empty = client.post(f"/c/fr/register/new/{deployment.pk}/", {})
    assert empty.status_code == 400 and counts(cast) == before
    good = client.post(f"/c/fr/register/new/{deployment.pk}/", TEXTS)
    assert good.status_code == 302
    with country_context(cast.fr):
        entry = RegisterEntry.objects.get()
    page = text(client.get(good["Location"]))
    assert "Draft, version 1" in page and "Publish version 1" not in page  # officers do not publish
    saved = client.post(good["Location"], {**TEXTS, "summary": "Changed in the draft."})
    assert saved.status_code == 302
    with country_context(cast.fr):
        assert entry.versions.get().summary == "Changed in the draft."
    assert client.post(f"/c/fr/register/{entry.pk}/publish/").status_code == 403


def test_publishing_and_withdrawing_through_the_page(client, cast, ready):
    deployment = running(cast, ready)
    client.force_login(cast.owner)
    location = client.post(f"/c/fr/register/new/{deployment.pk}/", TEXTS)["Location"]
    entry_id = int(location.rstrip("/").rsplit("/", 1)[-1])
    assert "Publish version 1" in text(client.get(location))
    assert client.post(f"/c/fr/register/{entry_id}/publish/", {"comment": "In service."}).status_code == 302
    assert "Tax form helper" in text(client.get("/register/fr/"))
    before = counts(cast)
    refused = client.post(f"/c/fr/register/{entry_id}/withdraw/", {"reason": ""})
    assert refused.status_code == 400 and "Give the reason" in text(refused)
    assert counts(cast) == before
    client.force_login(cast.member)
    assert client.post(f"/c/fr/register/{entry_id}/withdraw/", {"reason": "x"}).status_code == 403
    client.force_login(cast.owner)
    assert client.post(f"/c/fr/register/{entry_id}/withdraw/", {"reason": "Stopped."}).status_code == 302
    assert "Stopped." in text(client.get(f"/register/fr/{entry_id}/"))
    again = client.post(f"/c/fr/register/{entry_id}/withdraw/", {"reason": "Twice."})
    assert again.status_code == 400 and "Only a published entry" in text(again)


def test_the_accountable_person_names_themself_through_the_page(client, cast, ready):
    deployment = running(cast, ready)  # owned by cast.owner
    client.force_login(cast.owner)
    entry_url = client.post(f"/c/fr/register/new/{deployment.pk}/", TEXTS)["Location"]
    entry_id = int(entry_url.rstrip("/").rsplit("/", 1)[-1])
    client.post(f"/c/fr/register/{entry_id}/publish/", {"comment": "In service."})
    client.force_login(cast.member)
    assert client.post(f"/c/fr/register/{entry_id}/contact/", {"named": "yes"}).status_code == 403
    client.force_login(cast.owner)
    assert "Show my name as the public contact" in text(client.get(entry_url))
    assert client.post(f"/c/fr/register/{entry_id}/contact/", {"named": "yes"}).status_code == 302
    assert "Public contact: Olga Owner" in text(client.get(f"/register/fr/{entry_id}/"))
