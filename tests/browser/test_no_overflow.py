"""In real Chromium, at 1280 px and on a 375 px phone, in French (long words) and in Arabic (right to
left): no main page is wider than the window (document.scrollWidth <= innerWidth), no menu item
runs past the page's width container, and no chart's label or figure is cut by the edge of its
drawing. Each role's pages are read: a country admin's,
a partner manager's and an auditor's, and the public ones."""

from __future__ import annotations

import pytest
from django.conf import settings

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PAGES = {
    "amelie": [
        "/",
        "/c/fr/",
        "/c/fr/activity/",
        "/c/fr/members/",
        "/c/fr/organisations/",
        "/c/fr/engagement/",
        "/c/fr/governance/",
        "/c/fr/governance/assessments/",
        "/c/fr/training/",
        "/c/fr/deployments/",
        "/c/fr/register/",
        "/c/fr/data/",
        "/notifications/",
        "/accounts/",
    ],
    "priya": ["/", "/review/", "/audit/", "/audit/fr/", "/audit/fr/reports/", "/c/ke/"],
    "": ["/register/", "/register/fr/", "/api/v1/docs/", "/accounts/login/"],
}

# What is wider than the window, if anything, and which chart texts run past their drawing's edge.
MEASURE = """() => {
    const width = window.innerWidth;
    const wide = [...document.querySelectorAll("body *")]
        .filter((el) => el.getBoundingClientRect().right > width + 1 || el.getBoundingClientRect().left < -1)
        .filter((el) => !el.closest(".govuk-visually-hidden, .govuk-skip-link, [hidden], .app-table-scroll"))
        .slice(0, 5)
        .map((el) => el.tagName + (el.id ? "#" + el.id : "") + "." + [...el.classList].join("."));
    const cut = [];
    for (const svg of document.querySelectorAll("svg.app-chart__svg")) {
        const box = svg.viewBox.baseVal;
        for (const text of svg.querySelectorAll("text")) {
            const b = text.getBBox();
            if (b.width && (b.x < box.x - 1 || b.x + b.width > box.x + box.width + 1)) cut.push(text.textContent);
        }
    }
    // The menus stay inside the page's width container (a menu item past its edge is cut or hidden).
    const frame = document.querySelector("main").getBoundingClientRect();
    const menus = [...document.querySelectorAll("#navigation > li, #country-navigation > li")]
        .filter((el) => el.offsetParent !== null)
        .filter((el) => el.getBoundingClientRect().right > frame.right + 1 || el.getBoundingClientRect().left < frame.left - 1)
        .map((el) => el.textContent.trim());
    return {scroll: document.documentElement.scrollWidth, width, wide, cut, menus};
}"""


def _context(browser, live_server, username: str, language: str, width: int):
    from django.contrib.auth import get_user_model
    from django.test import Client

    from tenants.languages.models import Preferences

    context = browser.new_context(base_url=live_server.url, viewport={"width": width, "height": 900})
    context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
    if username:
        user = get_user_model().objects.get(username=username)
        Preferences.objects.update_or_create(user=user, defaults={"language": language})
        client = Client()
        client.force_login(user)
        cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
        context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}])
    return context


@pytest.mark.parametrize("width", [1280, 375])
@pytest.mark.parametrize("language", ["fr", "ar"])
def test_no_page_is_wider_than_the_window(browser, live_server, demo, language, width, artefacts):
    problems = []
    for username, urls in PAGES.items():
        context = _context(browser, live_server, username, language, width)
        page = context.new_page()
        try:
            for url in urls:
                response = page.goto(url)
                assert response.status == 200, (username, url, response.status)
                assert page.evaluate("document.documentElement.lang") == language, url
                found = page.evaluate(MEASURE)
                if found["scroll"] > found["width"] or found["cut"] or found["menus"]:
                    name = f"overflow-{language}-{width}-{username or 'public'}-{url.strip('/').replace('/', '-') or 'home'}"
                    page.screenshot(path=str(artefacts / f"{name}.png"), full_page=True)
                    problems.append(f"{username or 'public'} {url}: {found}")
        finally:
            context.close()
    assert not problems, "\n".join(problems)
