"""Headless Chromium (Debian's, driven by Playwright) against the live test server: the
browser and page fixtures, registered once for the whole run by the root conftest (two
registrations would start two Playwright loops in one thread)."""

import os

import pytest

CHROMIUM = os.environ.get("PORTAL_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
]


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.fail(
            f"Chromium is needed for the browser tests and is not at {CHROMIUM}: "
            "install Debian's chromium package (make test does it when run as root)."
        )
    # Playwright's sync API runs an event loop in this thread; the test's own ORM calls are
    # synchronous and safe here.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    # This browser chose English with the language switcher: the journeys read English pages even
    # for a demo country whose default is another language (tests/languages/ set their own).
    context.add_cookies([{"name": "django_language", "value": "en", "url": live_server.url}])
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    context.close()
