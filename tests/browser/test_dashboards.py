"""Each role's dashboard in real Chromium with the demo's history: its charts are drawn (SVG named
for assistive technology, with the figures as a table beside), a full-page screenshot is kept in
the run's artefacts directory for people to look at, and axe finds no accessibility violation on the
dashboard, the country overview and the cross-country summary."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from tests.browser.test_languages import AXE, _signed_in_context

pytestmark = [pytest.mark.browser]

# username → the pages of their dashboards (a 404 would fail the test: each is theirs).
ROLES = {
    "amelie": ["/", "/c/fr/"],  # France's country admin
    "olivier": ["/", "/c/fr/"],  # France's officer
    "wanjiku": ["/", "/c/ke/"],  # Kenya's country admin
    "priya": ["/", "/summary/"],  # partner manager for FR, KE, EE
    "aude": ["/", "/summary/"],  # auditor for FR and KE
    "admin": ["/", "/summary/"],  # platform admin
}


@pytest.fixture
def full_demo(transactional_db):
    from tenants.languages.models import Preferences

    call_command("seed_demo", force=True, stdout=open("/dev/null", "w"))  # noqa: SIM115
    for user in get_user_model().objects.all():
        Preferences.objects.update_or_create(user=user, defaults={"language": "en"})


def test_every_roles_dashboard_draws_its_charts_and_passes_axe(browser, live_server, full_demo, artefacts):
    if not AXE.exists():
        pytest.fail(f"axe-core is needed at {AXE}: npm ci installs it (package.json).")
    users = get_user_model().objects
    found = {}
    for username, urls in ROLES.items():
        context = _signed_in_context(browser, live_server, users.get(username=username))
        page = context.new_page()
        try:
            for url in urls:
                response = page.goto(url, timeout=120000)
                assert response.status == 200, (username, url, response.status)
                charts = page.locator("svg.app-chart__svg[role='img']")
                found[(username, url)] = charts.count()
                for index in range(charts.count()):
                    svg = charts.nth(index)
                    title, desc = svg.get_attribute("aria-labelledby").split()
                    assert page.locator(f"#{title}").text_content().strip(), (username, url, title)
                    assert page.locator(f"#{desc}").text_content().strip(), (username, url, desc)
                name = f"dashboard-{username}" + ("" if url == "/" else "-" + url.strip("/").replace("/", "-"))
                page.screenshot(path=str(artefacts / f"{name}.png"), full_page=True)
                page.add_script_tag(path=str(AXE))
                violations = page.evaluate("async () => (await axe.run(document)).violations")
                summary = [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3]) for v in violations]
                assert not violations, (username, url, summary)
        finally:
            context.close()
    # Members see their country's five charts on the overview; partner managers, auditors and the
    # platform admin their countries' seven on the dashboard; the summary page is a table.
    assert found[("olivier", "/c/fr/")] == 5 and found[("wanjiku", "/c/ke/")] >= 4
    assert all(found[(who, "/")] >= 7 for who in ("priya", "aude", "admin"))
    assert found[("priya", "/summary/")] == 0
