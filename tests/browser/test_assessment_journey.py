"""An officer completes an impact assessment in the browser and sees its level, category and
obligations."""

import re

import pytest
from django.conf import settings

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in(page, username: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(settings.DEMO_PASSWORD)
    page.get_by_role("button", name=re.compile("sign in", re.I)).click()
    page.wait_for_url(re.compile(r"/(c/fr/?)?$", re.I))


def test_officer_completes_an_impact_assessment(page, demo):
    sign_in(page, "olivier")
    page.get_by_role("link", name="Governance", exact=True).first.click()
    page.get_by_role("link", name="Impact assessments").click()
    page.get_by_role("button", name="Start an assessment").click()

    page.get_by_label("Intended use").fill("Orientation advice chatbot for pupils")
    page.get_by_role("button", name="Continue").click()

    # Answer part of it and come back later: the answer is kept.
    page.get_by_label("Admission to or assessment in education").check()
    page.get_by_role("button", name="Save and come back later").click()
    assert page.get_by_label("Admission to or assessment in education").is_checked()

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
