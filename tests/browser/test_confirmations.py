"""In Chromium: ending a country's engagement is never one click. Close leads to a page that says
what follows, in the warning pattern, and asks for a reason; without one it names the problem and
its link moves focus to the box; with one, the engagement is closed and the reason is on its history."""

import re

import pytest

from tests.browser.journeys import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def reason_asked_for(page, button: str) -> None:
    """Confirming without a reason: the error summary names the problem, and its link moves focus
    to the reason's box."""
    page.get_by_role("button", name=button).click()
    summary = page.locator(".govuk-error-summary")
    summary.wait_for()
    assert "Say why" in summary.inner_text()
    summary.get_by_role("link").first.click()
    assert page.evaluate("document.activeElement.name") == "comment"


def test_close_asks_for_confirmation_and_a_reason(page, ready_demo):
    sign_in(page, "amelie")
    page.goto("/c/fr/engagement/")
    with page.expect_navigation(url=re.compile(r"/c/fr/engagement/\d+/close/$")):
        page.get_by_role("link", name="Close", exact=True).click()
    assert "Close France's engagement?" in page.locator("h1").inner_text()
    assert page.locator(".govuk-warning-text").count() == 1
    reason_asked_for(page, "Yes, close the engagement")
    # Going back changes nothing.
    with page.expect_navigation(url=re.compile(r"/c/fr/engagement/$")):
        page.get_by_role("link", name="No, go back").click()
    assert "Active" in page.locator(".govuk-summary-list").first.inner_text()
    page.get_by_role("link", name="Close", exact=True).click()
    page.get_by_label("Reason").fill("The programme in France ends with this school year.")
    with page.expect_navigation(url=re.compile(r"/c/fr/engagement/$")):
        page.get_by_role("button", name="Yes, close the engagement").click()
    # France has no current engagement now; the closed one keeps the reason in its history, readably.
    page.get_by_role("link", name=re.compile("^Engagement of ")).click()
    history = page.locator("#engagement-history")
    row = history.locator("tr", has_text="The programme in France ends with this school year.")
    assert "Active → Closed" in row.inner_text() and "(Country admin)" in row.inner_text()


def test_rotating_the_data_key_asks_why_and_the_activity_shows_it(page, demo):
    sign_in(page, "amelie")
    page.goto("/c/fr/data/")
    with page.expect_navigation(url=re.compile(r"/c/fr/data/key/rotate/$")):
        page.get_by_role("button", name="Rotate the key").click()  # a link styled as a button
    assert "Rotate the data key of France?" in page.locator("h1").inner_text()
    assert page.locator(".govuk-warning-text").count() == 1
    reason_asked_for(page, "Yes, rotate the key")
    page.get_by_label("Reason").fill("Yearly rotation, as France's security policy asks.")
    with page.expect_navigation(url=re.compile(r"/c/fr/data/$")):
        page.get_by_role("button", name="Yes, rotate the key").click()
    assert "is now in service" in page.locator(".govuk-notification-banner").first.inner_text()
    page.goto("/c/fr/activity/")
    row = page.locator("tr", has_text="Key rotated").first
    assert "Reason: Yearly rotation, as France's security policy asks." in row.inner_text()
