"""An anonymous visitor reads France's public AI register in Chromium, as seed_demo leaves it: the
published system and its record are there, the drafted one is not; the page is saved as a
screenshot with the run's other artefacts (the `artefacts` fixture)."""

import pytest
from django.core.management import call_command

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PUBLISHED = "Assistant de remplissage des formulaires fiscaux"
DRAFTED = "Pré-instruction des demandes d'aide sociale"


@pytest.fixture
def seeded(transactional_db):
    call_command("seed_demo", force=True, stdout=open("/dev/null", "w"))


def test_an_anonymous_visitor_reads_frances_register(page, seeded, artefacts):
    page.goto("/register/fr/")
    heading = page.get_by_role("heading", level=1)
    assert "France" in heading.inner_text()
    systems = page.locator("#systems")
    assert PUBLISHED in systems.inner_text()
    assert DRAFTED not in page.content()
    shot = artefacts / "public-register-fr.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 10_000

    with page.expect_navigation(url="**/register/fr/*/"):
        page.get_by_role("link", name=PUBLISHED).click()
    record = page.locator("main").inner_text()
    for expected in (
        "What it does",
        "Who is accountable",
        "How to ask a question or complain",
        "Impact level",
        "Aurora Large",
    ):
        assert expected in record, expected
    assert page.locator("h1").get_attribute("lang") == "fr"
    history = page.locator("#history").inner_text()
    assert "Ajout du réexamen d'une réponse par un agent." in history
    page.screenshot(path=str(artefacts / "public-register-fr-entry.png"), full_page=True)

    # The data beside the page, for anyone.
    data = page.request.get("/register/fr/register.json").json()
    assert [e["name"] for e in data["entries"]] == [PUBLISHED]
