"""An officer completes an impact assessment in the browser and sees its level, category and
obligations."""

import pytest
from playwright.sync_api import expect

from tests.browser.journeys import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_officer_completes_an_impact_assessment(page, demo):
    sign_in(page, "olivier")
    page.get_by_role("link", name="Governance", exact=True).first.click()
    page.get_by_role("link", name="Impact assessments").click()
    page.get_by_role("button", name="Start an assessment").click()

    page.get_by_label("Intended use").fill("Orientation advice chatbot for pupils")
    page.get_by_role("button", name="Continue").click()

    # Answer part of it and come back later: the answer is kept.
    page.get_by_label("Admission to or assessment in education").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Save and come back later").click()
    expect(page.get_by_label("Admission to or assessment in education")).to_be_checked()

    # Completing too early names the first question left.
    page.get_by_role("button", name="Complete the assessment").click()
    assert "Answer the question: Who is affected by its outputs?" in page.locator(".govuk-error-summary").inner_text()

    page.get_by_label("People in a vulnerable situation").check()
    page.get_by_label("It proposes decisions that a person approves one by one").check()
    page.get_by_label("Personal data", exact=True).check()
    page.get_by_label("With some effort").check()
    page.get_by_label("Nationwide").check()
    page.get_by_label("Yes: people converse with it").check()
    page.get_by_label("Human review of outputs").check()
    page.get_by_label("Logging for traceability").check()
    page.get_by_role("button", name="Complete the assessment").click()

    result = page.locator("#result").inner_text()
    assert "Impact level III" in result
    assert "High-risk" in result
    obligations = page.locator("#obligations").inner_text()
    for expected in (
        "Human review of outputs that affect people",
        "Automatic logging of use",
        "Transparency notice",
        "Bias evaluation",
        "Registration in the public register",
    ):
        assert expected in obligations
    assert page.get_by_role("button", name="Complete the assessment").count() == 0
