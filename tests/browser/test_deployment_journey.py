"""In Chromium, with the suite's real Celery worker: an officer drafts and submits a deployment
request, a partner manager approves it from the review queue, the officer watches provisioning
progress and sees the environment active, with its credential shown once."""

import re

import pytest

from tests.browser.journeys import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def ready_demo(demo):
    """FR as seed_demo leaves it: an active engagement, policies acknowledged, assessments done."""
    from deployments import demo as deployments_demo
    from engagements import demo as engagement_demo
    from governance import demo as governance_demo

    engagement_demo.seed(countries=demo, say=lambda _: None)
    governance_demo.seed(countries=demo, say=lambda _: None)
    deployments_demo.seed_catalogue()
    # Everyone in FR acknowledges the current policies, so that any organisation passes that gate.
    from governance import selectors as governance_selectors
    from governance import services as governance_services
    from tenants.access import access_for
    from tenants.isolation import country_context
    from tenants.models import Membership

    fr = demo["FR"]
    with country_context(fr):
        members = list(Membership.objects.filter(status="active").select_related("user"))
    for membership in members:
        for version in governance_selectors.my_pending_versions(country=fr, user=membership.user, role=membership.role):
            governance_services.acknowledgement_create(
                version=version, by=membership.user, access=access_for(membership.user)
            )
    with country_context(fr):
        from governance.models import ImpactAssessment

        assessment = (
            ImpactAssessment.objects.filter(status="completed", category__in=["minimal", "limited"])
            .order_by("id")
            .first()
        )
    return assessment


def test_deployment_from_request_to_active_environment(page, ready_demo, celery_worker_process):
    sign_in(page, "olivier")
    page.goto("/c/fr/deployments/")
    page.get_by_role("link", name="Request a deployment").click()
    page.get_by_label("Title").fill("Answers about parking permits")
    page.get_by_label("Purpose").fill("Draft answers to questions about parking permits, checked by staff.")
    page.get_by_label("Sector", exact=True).select_option("public_services")
    page.get_by_label("Model", exact=True).select_option("aurora-large")
    page.get_by_label("Text", exact=True).check()
    page.get_by_label("Data-residency region").select_option("eu-west")
    page.get_by_label("Data classification").select_option("internal")  # nothing is chosen for them
    page.get_by_label("Expected monthly tokens").fill("300000")
    page.get_by_label("Impact assessment").select_option(str(ready_demo.pk))
    with page.expect_navigation(url=re.compile(r"/c/fr/deployments/\d+/$")):
        page.get_by_role("button", name="Save draft").click()
    request_url = page.url
    failing = [el.get_attribute("data-gate") for el in page.locator("#gates li").all() if "To do" in el.inner_text()]
    assert failing == [], f"gates not passed in the demo: {failing}"
    with page.expect_navigation(url=request_url):
        page.get_by_role("button", name="Submit for review").click()
    assert page.locator('[data-field="request-state"]').inner_text() == "Submitted"

    sign_in(page, "priya")
    page.goto("/review/")
    page.locator("#deployment-queue").get_by_role("link", name="Answers about parking permits").click()
    page.get_by_label("Monthly token quota").fill("250000")
    with page.expect_navigation(url=request_url):
        page.get_by_role("button", name="Approve").click()

    sign_in(page, "olivier")
    page.goto(request_url)
    page.locator("progress").wait_for()
    # The page polls progress.json and reloads itself when the job is done.
    page.wait_for_function("document.querySelector('progress').value == 100", timeout=30000)
    page.wait_for_selector("#environment-link", timeout=30000)
    assert page.locator('[data-field="request-state"]').inner_text() == "Active"
    page.locator("#environment-link").click()
    assert page.locator("#environment-state").inner_text() == "Active"
    environment_url = page.url
    page.get_by_role("button", name="Show the credential once").click()
    secret = page.locator("#credential-secret").inner_text()
    assert len(secret) > 40
    page.goto(environment_url)
    assert secret not in page.content()
    assert page.get_by_role("button", name="Show the credential once").count() == 0
