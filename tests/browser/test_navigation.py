"""In Chromium at 1280 px and on a phone: the service header holds at most six items on one row;
a country's sections are a navigation of their own that fits on one row at 1280 px and folds
behind a "Sections" toggle on a phone; exactly one item is current. Each role's dashboard is saved
as a screenshot in the run's artefacts directory for people to look at."""

import pytest
from playwright.sync_api import expect

from tests.browser.journeys import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# How many visible items, on how many rows, and whether any sticks out of the page's width container.
ROWS = """(selector) => {
    const items = [...document.querySelectorAll(selector)].filter((el) => el.offsetParent !== null);
    const edge = document.querySelector("main").getBoundingClientRect().right;
    const out = items.some((el) => el.getBoundingClientRect().right > edge + 1);
    return [items.length, new Set(items.map((el) => Math.round(el.getBoundingClientRect().top))).size, out];
}"""


def rows(page, selector: str) -> tuple[int, int]:
    count, distinct_tops, out = page.evaluate(ROWS, selector)
    assert not out, f"{selector} is wider than the page"
    return count, distinct_tops


@pytest.mark.parametrize("username", ["amelie", "olivier", "priya", "marcus", "aude", "admin"])
def test_header_and_sections_fit_on_one_row_at_1280(page, demo, username, artefacts):
    sign_in(page, username)
    page.goto("/")
    page.screenshot(path=str(artefacts / f"dashboard-{username}.png"), full_page=True)
    for url in ("/", "/c/fr/deployments/", "/notifications/"):
        response = page.goto(url)
        if response.status == 404:  # not every role sees France
            continue
        count, tops = rows(page, "#navigation > li")
        assert count <= 6 and tops == 1, (username, url, count, tops)
        sections, tops = rows(page, "#country-navigation > li")
        assert sections == 0 or tops == 1, (username, url, sections, tops)
        assert page.locator('[aria-current="page"]').count() == 1, (username, url)


def test_sections_fold_behind_a_toggle_on_a_phone(browser, live_server, demo):
    context = browser.new_context(base_url=live_server.url, viewport={"width": 375, "height": 800})
    page = context.new_page()
    try:
        sign_in(page, "amelie")
        page.goto("/c/fr/deployments/")
        toggle = page.get_by_role("button", name="Sections")
        assert toggle.is_visible() and not page.locator("#country-navigation").is_visible()
        toggle.click()
        expect(page.locator("#country-navigation").get_by_role("link", name="Deployments")).to_be_visible()
        # Nothing is wider than the phone's screen.
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
    finally:
        context.close()
