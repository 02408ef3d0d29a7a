"""In Chromium, as a new officer would: the first deployment request succeeds. The form chooses
their own organisation and themself as owner, and offers only what the engagement's terms cover;
every check is listed before Submit; the partner manager hears of it in the portal and, from the
notice, returns it with a reason on a confirmation page when rejecting is not what they mean."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.journeys import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_first_request_succeeds_and_the_reviewer_is_notified(page, ready_demo):
    sign_in(page, "olivier")
    page.goto("/c/fr/deployments/")
    page.get_by_role("link", name="Request a deployment").click()
    # Saving with nothing filled in names every missing answer, and each link moves focus.
    page.get_by_role("button", name="Save draft").click()
    summary = page.locator(".govuk-error-summary")
    assert "Enter a title for the request." in summary.inner_text()
    assert "Choose at least one capability." in summary.inner_text()
    summary.get_by_role("link", name="Choose at least one capability.").click()
    assert page.evaluate("document.activeElement.name") == "capabilities"

    page.get_by_label("Title").fill("Course summaries for teachers")
    page.get_by_label("Purpose").fill("Summarise course material for teachers, who check every summary.")
    page.get_by_label("Sector", exact=True).select_option("education")
    page.get_by_label("Model", exact=True).select_option("aurora-large")
    page.get_by_label("Text", exact=True).check()
    page.get_by_label("Data classification").select_option("internal")
    page.get_by_label("Expected monthly tokens").fill("300000")
    page.get_by_label("Impact assessment").select_option(str(ready_demo.pk))
    # Chosen for them: their own organisation, themself as owner, the terms' region.
    assert page.get_by_label("Owner").locator("option:checked").inner_text() == "Olivier Moreau"
    assert page.get_by_label("Data-residency region").locator("option:checked").inner_text() == "Europe (West)"
    with page.expect_navigation(url=re.compile(r"/c/fr/deployments/\d+/$")):
        page.get_by_role("button", name="Save draft").click()
    request_url = page.url
    assert page.locator("#gates [data-gate]").count() == 4
    assert page.locator("#gates").get_by_text("To do").count() == 0
    with page.expect_navigation(url=request_url):
        page.get_by_role("button", name="Submit for review").click()
    assert page.locator('[data-field="request-state"]').inner_text() == "Submitted"

    sign_in(page, "priya")
    page.goto("/notifications/")
    notice = page.locator("#notifications").get_by_role("link", name=re.compile("France: deployment request waiting"))
    assert notice.count() == 1
    with page.expect_navigation(url=request_url):
        notice.click()
    # Reject asks first, with a required reason, in the warning pattern.
    page.get_by_role("link", name="Reject").click()
    expect(page.locator(".govuk-warning-text")).to_have_count(1)
    page.get_by_role("button", name="Yes, reject it").click()
    page.locator(".govuk-error-summary").get_by_role("link").click()
    assert page.evaluate("document.activeElement.id") == "id_comment"
    with page.expect_navigation(url=request_url):
        page.get_by_role("link", name="No, go back").click()
    page.get_by_label("Comment (required)").fill("Say who checks the summaries before they reach teachers.")
    with page.expect_navigation(url=request_url):
        page.get_by_role("button", name="Request changes").click()
    assert page.locator('[data-field="request-state"]').inner_text() == "Changes requested"

    sign_in(page, "olivier")
    page.goto("/notifications/")
    with page.expect_navigation(url=request_url):
        page.locator("#notifications").get_by_role("link", name=re.compile("changes requested")).click()
    page.get_by_role("link", name="Change the request").click()
    page.get_by_label("Purpose").fill("Summarise course material for teachers; a teacher checks every summary.")
    with page.expect_navigation(url=request_url):
        page.get_by_role("button", name="Save changes").click()
    with page.expect_navigation(url=request_url):
        page.get_by_role("button", name="Submit for review").click()
    assert page.locator('[data-field="request-state"]').inner_text() == "Submitted"
