"""In Chromium: completing an impact assessment too early lists every unanswered question in the
error summary, and each link moves focus to that question's first answer. axe finds nothing."""

import re

import pytest

from tests.browser.test_languages import AXE, _signed_in_context
from tests.governance.helpers import act

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_every_missing_answer_is_listed_and_each_link_moves_focus(browser, live_server, transactional_db):
    from governance import questionnaire, services
    from tests.conftest import make_cast

    if not AXE.exists():
        pytest.fail(f"axe-core is needed at {AXE}: npm ci installs it (package.json).")
    cast = make_cast()
    draft = services.assessment_create(country=cast.fr, title="Chat assistant for the tax office", **act(cast.member))
    context = _signed_in_context(browser, live_server, cast.member)
    page = context.new_page()
    try:
        page.goto(f"/c/fr/governance/assessments/{draft.pk}/", timeout=120000)
        page.get_by_label("Internal productivity (drafting, summarising, search)").check()
        page.get_by_role("button", name="Complete the assessment").click()
        summary = page.locator(".govuk-error-summary")
        summary.wait_for()
        links = summary.get_by_role("link")
        missing = [q for q in questionnaire.questions() if not q.get("multiple") and q["key"] != "purpose"]
        assert links.count() == len(missing) == 6
        for n, question in enumerate(missing):
            link = links.nth(n)
            assert link.inner_text() == f"Answer the question: {question['text']}"
            link.click()
            assert page.evaluate("document.activeElement.id") == f"id_{question['key']}"
            assert page.evaluate("document.activeElement.type") == "radio"
            assert page.evaluate("document.activeElement.name") == question["key"]
        # What was answered is still chosen.
        assert page.get_by_label("Internal productivity (drafting, summarising, search)").is_checked()
        assert re.match(r"^Error:", page.title())
        page.add_script_tag(path=str(AXE))
        violations = page.evaluate("async () => (await axe.run(document)).violations")
        assert not violations, [(v["id"], [n["target"] for n in v["nodes"]][:3]) for v in violations]
    finally:
        context.close()
