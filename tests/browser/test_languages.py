"""The country overview in French and in Arabic, in real Chromium: the page says its language and
direction, an Arabic page is laid out from the right, screenshots are kept as test artefacts
(the run's artefacts directory), and axe finds no accessibility violation in either."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent.parent
AXE = Path(os.environ.get("PORTAL_AXE_JS", ROOT / "node_modules" / "axe-core" / "axe.min.js"))


def _signed_in_context(browser, live_server, user):
    from django.test import Client

    client = Client()
    client.force_login(user)
    # axe is injected into the page, which the portal's Content-Security-Policy rightly forbids.
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900}, bypass_csp=True)
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    return context


@pytest.mark.parametrize("language,direction", [("fr", "ltr"), ("ar", "rtl")])
def test_the_country_overview_in_french_and_arabic(
    browser, live_server, transactional_db, language, direction, artefacts
):
    from tenants.languages.models import Preferences
    from tests.conftest import make_cast

    if not AXE.exists():
        pytest.fail(f"axe-core is needed at {AXE}: npm ci installs it (package.json).")
    cast = make_cast()
    Preferences.objects.filter(user=cast.owner).update(language=language)
    context = _signed_in_context(browser, live_server, cast.owner)
    page = context.new_page()
    try:
        page.goto("/c/fr/", timeout=120000)
        assert page.locator("html").get_attribute("lang") == language
        assert page.locator("html").get_attribute("dir") == direction
        heading = page.locator("h1").first.bounding_box()
        container = page.locator("main").bounding_box()
        if direction == "rtl":
            # Laid out from the right: the heading starts at the right edge of the content.
            assert abs((heading["x"] + heading["width"]) - (container["x"] + container["width"])) < 40
            assert page.evaluate("getComputedStyle(document.querySelector('main')).direction") == "rtl"
        else:
            assert abs(heading["x"] - container["x"]) < 40
        # The breadcrumbs read from the start side, and the sections never run into each other.
        crumbs = [page.locator(".govuk-breadcrumbs__list-item").nth(i).bounding_box() for i in range(2)]
        assert (crumbs[0]["x"] > crumbs[1]["x"]) == (direction == "rtl"), crumbs
        items = page.locator(".app-country-nav .govuk-service-navigation__item")
        boxes = [items.nth(i).bounding_box() for i in range(items.count())]
        assert len(boxes) > 5
        # A long menu wraps onto a second row: items side by side on a row keep their gap.
        rows: dict[int, list] = {}
        for box in boxes:
            rows.setdefault(round(box["y"] / 4), []).append(box)
        gaps = []
        for row in rows.values():
            row.sort(key=lambda box: box["x"])
            gaps += [right["x"] - (left["x"] + left["width"]) for left, right in zip(row, row[1:])]
        assert gaps and min(gaps) >= 8, gaps
        # The bar charts read the same in every direction: each label ends before its bar starts,
        # inside the drawing (in Arabic, labels anchored on the text's side ran over the bars).
        bar_charts = page.locator("[data-chart-kind=bars] svg")
        assert bar_charts.count() >= 1
        for index in range(bar_charts.count()):
            frame = bar_charts.nth(index).bounding_box()
            labels = bar_charts.nth(index).locator("text[text-anchor=end]")
            bars = bar_charts.nth(index).locator("rect[data-label]")
            for number in range(bars.count()):
                label, bar = labels.nth(number).bounding_box(), bars.nth(number).bounding_box()
                assert frame["x"] - 1 <= label["x"] and label["x"] + label["width"] <= bar["x"] + 1, (label, bar)
        page.screenshot(path=str(artefacts / f"country-overview-{language}.png"), full_page=True)
        page.add_script_tag(path=str(AXE))
        violations = page.evaluate("async () => (await axe.run(document)).violations")
        summary = [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3]) for v in violations]
        assert not violations, summary
    finally:
        context.close()
