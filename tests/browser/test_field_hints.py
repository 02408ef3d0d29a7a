"""A field's hint as a person sees it in the browser: on the password change page, allauth's
"Forgot your password?" is a link that leads to the reset, and the new password's rules are a list,
one rule a line, tied to their field (aria-describedby)."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.journeys import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_password_page_hints_are_a_link_and_a_list(page, demo):
    sign_in(page, "olivier")
    page.goto("/accounts/password/change/")
    rules = page.locator("#id_password1-hint li")
    expect(rules).to_have_count(4)
    assert rules.all_inner_texts()[0] == "At least 12 characters."
    assert "id_password1-hint" in (page.locator("#id_password1").get_attribute("aria-describedby") or "")
    assert "<" not in page.locator("main").inner_text()  # no markup shown as text
    link = page.locator("#id_oldpassword-hint").get_by_role("link", name="Forgot your password?")
    expect(link).to_be_visible()
    link.click()
    expect(page).to_have_url(re.compile(r"/accounts/password/reset/$"))
