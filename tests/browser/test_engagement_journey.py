"""In Chromium: a country admin drafts and submits an engagement, a partner manager requests
changes, the admin amends and resubmits, the partner manager approves; the task list shows it done."""

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.browser.journeys import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def state_on_page(page) -> str:
    return page.locator("[data-engagement-state]").get_attribute("data-engagement-state")


def test_engagement_from_draft_to_approval(page, demo):
    sign_in(page, "amelie")
    page.goto("/c/fr/engagement/")
    page.get_by_role("link", name="Apply for an engagement").click()
    page.get_by_label("Applying organisation").select_option(label="Direction interministérielle du numérique")
    page.get_by_label("Education").check()
    page.get_by_label("Public services").check()
    page.get_by_label("Text").check()
    page.get_by_label("Monthly usage quota (tokens)").fill("90000000")
    page.get_by_label("Start date").fill(timezone.localdate().isoformat())
    page.get_by_label("Grant or sponsored").check()
    with page.expect_navigation(url=re.compile(r"/c/fr/engagement/$")):
        page.get_by_role("button", name="Save as draft").click()
    assert state_on_page(page) == "draft"
    with page.expect_navigation(url=re.compile(r"/c/fr/engagement/$")):
        page.get_by_role("button", name="Submit for review").click()
    assert state_on_page(page) == "submitted"

    sign_in(page, "priya")
    page.goto("/review/")
    assert page.locator('#review-queue tr[data-country="FR"]').count() == 1
    page.get_by_role("link", name=re.compile("Review.*France")).click()
    page.get_by_label("Comment").fill("Please add health to the sectors in scope.")
    with page.expect_navigation(url=re.compile(r"/c/fr/engagement/$")):
        page.get_by_role("button", name="Request changes").click()
    assert state_on_page(page) == "draft"

    sign_in(page, "amelie")
    page.goto("/notifications/")
    assert "France: engagement needs changes" in page.locator("main").inner_text()
    page.goto("/c/fr/engagement/")
    assert "Please add health to the sectors in scope." in page.locator("#engagement-history").inner_text()
    page.get_by_role("link", name="Change the terms").click()
    page.get_by_label("Health").check()
    with page.expect_navigation(url=re.compile(r"/c/fr/engagement/$")):
        page.get_by_role("button", name="Save new version").click()
    with page.expect_navigation(url=re.compile(r"/c/fr/engagement/$")):
        page.get_by_role("button", name="Submit for review").click()
    assert state_on_page(page) == "submitted"

    sign_in(page, "priya")
    page.goto("/c/fr/engagement/")
    page.get_by_role("link", name="Compare with version 1").click()
    expect(page.locator('#terms-diff tr[data-changed="yes"] th')).to_have_text(["Sectors in scope"])
    page.goto("/c/fr/engagement/")
    page.get_by_label("Comment").fill("Approved as amended.")
    with page.expect_navigation(url=re.compile(r"/c/fr/engagement/$")):
        page.get_by_role("button", name="Approve").click()
    assert state_on_page(page) == "approved"

    sign_in(page, "amelie")
    page.goto("/c/fr/")
    status = page.locator("#task-engagement-status")
    assert status.get_attribute("data-state") == "done"
    assert "Completed" in status.inner_text()
