"""In Chromium: ending a country's engagement is never one click. Close leads to a page that says
what follows, in the warning pattern, and asks for a reason; without one it names the problem and
its link moves focus to the box; with one, the engagement is closed and the reason is on its history."""

import re

import pytest

from tests.browser.test_deployment_journey import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_close_asks_for_confirmation_and_a_reason(page, ready_demo):
    sign_in(page, "amelie")
    page.goto("/c/fr/engagement/")
    page.get_by_role("link", name="Close", exact=True).click()
    page.wait_for_url(re.compile(r"/c/fr/engagement/\d+/close/$"))
    assert "Close France's engagement?" in page.locator("h1").inner_text()
    assert page.locator(".govuk-warning-text").count() == 1
    page.get_by_role("button", name="Yes, close the engagement").click()
    summary = page.locator(".govuk-error-summary")
    summary.wait_for()
    summary.get_by_role("link").first.click()
    assert page.evaluate("document.activeElement.name") == "comment"
    # Going back changes nothing.
    page.get_by_role("link", name="No, go back").click()
    page.wait_for_url(re.compile(r"/c/fr/engagement/$"))
    assert "Active" in page.locator(".govuk-summary-list").first.inner_text()
    page.get_by_role("link", name="Close", exact=True).click()
    page.get_by_label("Reason").fill("The programme in France ends with this school year.")
    page.get_by_role("button", name="Yes, close the engagement").click()
    page.wait_for_url(re.compile(r"/c/fr/engagement/$"))
    # France has no current engagement now; the closed one keeps the reason in its history, readably.
    page.get_by_role("link", name=re.compile("^Engagement of ")).click()
    history = page.locator("#engagement-history")
    row = history.locator("tr", has_text="The programme in France ends with this school year.")
    assert "Active → Closed" in row.inner_text() and "(Country admin)" in row.inner_text()
