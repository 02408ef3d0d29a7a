"""Every page of every role, in real Chromium, checked by axe-core: no accessibility violation on
any page of the portal. Each role's pages are found by a crawl in the browser from the usual start
pages over the demo's data (tests/crawl.py); each kind of page is checked once, by the first
visitor who reaches it (the country admin first, who sees the most of a page's actions), and axe
runs on what the browser shows."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client

from tests.crawl import ROLES, crawl, shape

ROOT = Path(__file__).resolve().parent.parent.parent
ARTEFACTS = ROOT / "var" / "test-artefacts"
AXE = Path(os.environ.get("PORTAL_AXE_JS", ROOT / "node_modules" / "axe-core" / "axe.min.js"))
PAGES_PER_ROLE = 250  # more than any role reaches: the crawl ends when the links do

pytestmark = pytest.mark.browser


def _context(browser, live_server, username: str | None):
    # axe is injected into the page, which the portal's Content-Security-Policy rightly forbids.
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900}, bypass_csp=True)
    if username:
        client = Client()
        client.force_login(get_user_model().objects.get(username=username))
        cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
        context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}])
    return context


def test_every_page_of_every_role_has_no_accessibility_violation(browser, live_server, demo):
    if not AXE.exists():
        pytest.fail(f"axe-core is needed at {AXE}: npm ci installs it (package.json).")
    script = AXE.read_text()
    problems: list[str] = []
    checked: dict[str, list[str]] = {}
    kinds: set[str] = set()
    for role, username in ROLES.items():
        context = _context(browser, live_server, username)
        page = context.new_page()
        checked[role] = []

        def fetch(path: str) -> str | None:
            response = page.goto(path, timeout=120000)
            assert response is None or response.status < 500, f"{role} {path} answered {response.status}"
            if (
                response is None
                or response.status != 200
                or "text/html" not in response.headers.get("content-type", "")
            ):
                return None
            if shape(path) not in kinds:
                kinds.add(shape(path))
                checked[role].append(path)
                page.add_script_tag(content=script)
                for violation in page.evaluate("async () => (await axe.run(document)).violations"):
                    targets = [node["target"] for node in violation["nodes"]][:3]
                    problems.append(f"{role} {path}: {violation['id']} ({violation['impact']}) at {targets}")
            return page.content()

        try:
            reached = crawl(fetch, limit=PAGES_PER_ROLE)
        finally:
            context.close()
        assert len(reached) >= 2, f"{role}: the crawl found too few pages ({list(reached)})"
        assert len(reached) < PAGES_PER_ROLE, f"{role}: the crawl stopped at its limit; raise PAGES_PER_ROLE"
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    listing = [f"{role}: {len(paths)} kinds of page: {' '.join(paths)}" for role, paths in checked.items()]
    (ARTEFACTS / "accessibility.txt").write_text("\n".join(listing + problems) + "\n")
    print(f"axe: {len(kinds)} kinds of page, checked as {len(checked)} kinds of visitor")
    assert not problems, "\n".join(problems)
