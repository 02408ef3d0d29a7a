"""Headless Chromium (Debian's, driven by Playwright) against the live test server: the
browser and page fixtures, registered once for the whole run by the root conftest (two
registrations would start two Playwright loops in one thread)."""

import os
import threading
import time

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


def _counting(httpd) -> list[int]:
    """The live server's requests under way (a list of one count, kept on the server): each request
    thread, from its first byte read to its database connections closed, counts while it runs."""
    if not hasattr(httpd, "portal_in_flight"):
        in_flight, lock, serve = [0], threading.Lock(), httpd.process_request_thread

        def counted(request, client_address):
            with lock:
                in_flight[0] += 1
            try:
                serve(request, client_address)
            finally:
                with lock:
                    in_flight[0] -= 1

        httpd.process_request_thread = counted
        httpd.portal_in_flight = in_flight
    return httpd.portal_in_flight


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    # This browser chose English with the language switcher: the journeys read English pages even
    # for a demo country whose default is another language (tests/languages/ set their own).
    context.add_cookies([{"name": "django_language", "value": "en", "url": live_server.url}])
    page = context.new_page()
    page.set_default_timeout(15000)
    in_flight = _counting(live_server.thread.httpd)
    yield page
    context.close()
    # A request the browser sent just before closing may still be served, holding its tables: the
    # emptying of the database after the test (a TRUNCATE) would deadlock with it. Wait for it.
    deadline = time.monotonic() + 15
    while in_flight[0] and time.monotonic() < deadline:
        time.sleep(0.05)
