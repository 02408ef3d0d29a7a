"""What every browser journey does the same way, written once so that each step waits for the page
it caused. A click that submits a form or follows a link returns before the next page has arrived
when the machine is busy; reading the page at once then reads the old one. Every read that follows
an action goes through Playwright's `expect`, which retries until the page agrees or time runs out."""

import re

from django.conf import settings
from playwright.sync_api import expect

LOGIN = re.compile(r"/accounts/login/")


def sign_in(page, username: str, password: str | None = None) -> None:
    """Sign in through the real login page as one of the demo accounts, and wait until the portal
    has let them in (the browser has left the login page)."""
    page.context.clear_cookies()
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password or settings.DEMO_PASSWORD)
    page.get_by_role("button", name=re.compile("sign in", re.I)).click()
    expect(page).not_to_have_url(LOGIN)
