"""Every page of every role, in real Chromium, checked by axe-core: no accessibility violation on
any page of the portal. Each role's pages are found by a crawl in the browser from the usual start
pages over the demo's data (tests/crawl.py), read through a test client signed in as that
visitor; each kind of page is checked once, by the first visitor who reaches it (the country
admin first, who sees the most of a page's actions): the browser opens it in the same session and
axe runs on what the browser shows."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client

from tests.crawl import ROLES, crawl, shape

ROOT = Path(__file__).resolve().parent.parent.parent
AXE = Path(os.environ.get("PORTAL_AXE_JS", ROOT / "node_modules" / "axe-core" / "axe.min.js"))
PAGES_PER_ROLE = 250  # more than any role reaches: the crawl ends when the links do

pytestmark = pytest.mark.browser


def _visitor(browser, live_server, username: str | None):
    """A test client and a browser signed in as the same person, in one session."""
    # axe is injected into the page, which the portal's Content-Security-Policy rightly forbids.
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900}, bypass_csp=True)
    client = Client()
    if username:
        client.force_login(get_user_model().objects.get(username=username))
        cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
        context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}])
    return client, context


def test_every_page_of_every_role_has_no_accessibility_violation(browser, live_server, demo, artefacts):
    if not AXE.exists():
        pytest.fail(f"axe-core is needed at {AXE}: npm ci installs it (package.json).")
    script = AXE.read_text()
    problems: list[str] = []
    checked: dict[str, list[str]] = {}
    kinds: set[str] = set()
    for role, username in ROLES.items():
        client, context = _visitor(browser, live_server, username)
        page = context.new_page()
        checked[role] = []

        def fetch(path: str) -> str | None:
            # The crawl reads each page through the test client (the links are in the HTML the
            # server sends); the browser opens only the pages axe has yet to check.
            response = client.get(path, follow=True)
            assert response.status_code < 500, f"{role} {path} answered {response.status_code}"
            if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
                return None
            if shape(path) not in kinds:
                kinds.add(shape(path))
                checked[role].append(path)
                shown = page.goto(path, timeout=120000)
                assert shown is not None and shown.status == 200, f"{role} {path}: the browser was answered {shown}"
                page.add_script_tag(content=script)
                # Violations only: axe skips gathering the passes and the incomplete checks.
                found = "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
                for violation in page.evaluate(found):
                    targets = [node["target"] for node in violation["nodes"]][:3]
                    problems.append(f"{role} {path}: {violation['id']} ({violation['impact']}) at {targets}")
            return response.content.decode()

        try:
            reached = crawl(fetch, limit=PAGES_PER_ROLE)
        finally:
            context.close()
        assert len(reached) >= 2, f"{role}: the crawl found too few pages ({list(reached)})"
        assert len(reached) < PAGES_PER_ROLE, f"{role}: the crawl stopped at its limit; raise PAGES_PER_ROLE"
    listing = [f"{role}: {len(paths)} kinds of page: {' '.join(paths)}" for role, paths in checked.items()]
    (artefacts / "accessibility.txt").write_text("\n".join(listing + problems) + "\n")
    print(f"axe: {len(kinds)} kinds of page, checked as {len(checked)} kinds of visitor")
    assert not problems, "\n".join(problems)
