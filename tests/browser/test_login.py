"""A ministry officer signs in through the real login page and sees only their country."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.journeys import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_officer_signs_in_and_sees_only_france(page, demo):
    sign_in(page, "olivier")
    page.wait_for_url(re.compile(r"/(c/fr/?)?$", re.I))
    body = page.locator("main").inner_text()
    assert "France" in body
    for other in ("Kenya", "Estonia", "Brazil"):
        assert other not in body

    page.goto("/c/fr/organisations/")
    rows = page.locator("main table tbody tr")
    assert rows.count() == 3
    assert "Direction interministérielle du numérique" in page.locator("main").inner_text()

    response = page.goto("/c/ke/")
    assert response.status == 404
    assert "Kenya" not in page.locator("main").inner_text()
    response = page.goto("/c/ke/organisations/")
    assert response.status == 404


def test_wrong_password_is_refused_with_a_clear_message(page, demo):
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill("olivier")
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name=re.compile("sign in", re.I)).click()
    # The refusal is a new page (the form posted and came back), not the one before the click.
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    assert "/accounts/login/" in page.url


def test_partner_manager_switches_between_assigned_countries(page, demo):
    sign_in(page, "priya")
    page.goto("/")
    options = page.locator("select[name=code] option").all_inner_texts()
    assert any("France" in o for o in options) and any("Kenya" in o for o in options)
    assert not any("Brazil" in o for o in options)
    page.locator("select[name=code]").select_option("KE")
    with page.expect_navigation(url=re.compile(r"/c/ke/?$", re.I)):
        page.get_by_role("button", name=re.compile("switch|go", re.I)).click()
    assert "Kenya" in page.locator("main").inner_text()
