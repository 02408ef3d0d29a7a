"""In Chromium: a country officer writes on a deployment request; the partner manager sees the
notice in the navigation and the message marked new on the request's page, and answers; the
officer sees the answer. axe finds no accessibility violation on the page with its conversation."""

import re

import pytest

from tests.browser.journeys import sign_in
from tests.browser.test_languages import AXE, _signed_in_context

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def request_draft(ready_demo):
    from django.contrib.auth import get_user_model

    from deployments import services
    from deployments.models import AIModel
    from tenants.access import access_for
    from tenants.isolation import country_context
    from tenants.models import Country, Membership

    officer = get_user_model().objects.get(username="olivier")
    fr = Country.objects.get(code="FR")
    with country_context(fr):
        organisation = Membership.objects.get(user=officer).organisation
    return services.deployment_request_create(
        country=fr,
        by=officer,
        access=access_for(officer),
        organisation=organisation,
        title="Answers about school meals",
        purpose="Draft answers to parents' questions about school meals, checked by staff.",
        sector="public_services",
        model=AIModel.objects.get(slug="aurora-large"),
        capabilities=["text"],
        region="eu-west",
        data_classification="internal",
        expected_monthly_tokens=100_000,
        owner=officer,
        assessment_id=ready_demo.pk,
    )


def test_an_officer_writes_and_the_partner_manager_answers(page, browser, live_server, request_draft):
    url = f"/c/fr/deployments/{request_draft.pk}/"
    sign_in(page, "olivier")
    page.goto(url)
    page.get_by_label("Your message").fill("Could the review start this week? The pilot school is waiting.")
    with page.expect_navigation(url=re.compile(re.escape(url) + "#conversation$")):
        page.get_by_role("button", name="Send message").click()
    assert "Your message was sent." in page.content()
    assert page.locator('[data-field="message"]').count() == 1

    sign_in(page, "priya")
    page.goto("/")
    assert int(page.locator("#notification-count").inner_text().split()[0]) >= 1
    page.goto(url)
    assert page.locator('[data-field="unread-count"]').inner_text() == "1 new message"
    message = page.locator('[data-field="message"]').first
    assert "Could the review start this week?" in message.inner_text()
    assert "(Officer)" in message.inner_text()
    page.get_by_label("Your message").fill("Yes: I will start the review on Thursday.")
    with page.expect_navigation(url=re.compile(re.escape(url) + "#conversation$")):
        page.get_by_role("button", name="Send message").click()
    assert page.locator('[data-field="unread-count"]').count() == 0  # read when opened

    sign_in(page, "olivier")
    page.goto(url)
    assert page.locator('[data-field="unread-count"]').inner_text() == "1 new message"
    texts = [m.inner_text() for m in page.locator('[data-field="message"]').all()]
    assert "pilot school" in texts[0] and "Thursday" in texts[1] and "(Partner manager)" in texts[1]

    if not AXE.exists():
        pytest.fail(f"axe-core is needed at {AXE}: npm ci installs it (package.json).")
    from django.contrib.auth import get_user_model

    context = _signed_in_context(browser, live_server, get_user_model().objects.get(username="olivier"))
    checked = context.new_page()
    try:
        checked.goto(url)
        checked.add_script_tag(path=str(AXE))
        violations = checked.evaluate("async () => (await axe.run(document)).violations")
        summary = [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3]) for v in violations]
        assert not violations, summary
    finally:
        context.close()
