"""In Chromium, with the suite's worker and two gateway replicas: the officer's new environment
(requested by him, approved by a partner manager, provisioned by the worker) answers a chat
completion through the gateway with the credential he reveals on its page; the country admin
presses the kill switch on the same page; the next call is refused, on every replica."""

import re

import httpx
import pytest

from tests.browser.journeys import sign_in
from tests.conftest import wait_for

pytestmark = [pytest.mark.browser, pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def approved_environment(demo, assessment):
    """Olivier's request for FR, approved by Priya; the worker provisions it."""
    from deployments import services
    from deployments.models import AIModel, Environment, ProvisioningJob
    from tenants.access import access_for
    from tenants.isolation import country_context
    from tenants.models import Membership

    fr = demo["FR"]
    with country_context(fr):
        membership = Membership.objects.select_related("user", "organisation").get(user__username="olivier")
    officer = membership.user
    item = services.deployment_request_create(
        country=fr,
        by=officer,
        access=access_for(officer),
        organisation=membership.organisation,
        title="Answers about parking permits",
        purpose="Draft answers to questions about parking permits, checked by staff.",
        sector="public_services",
        model=AIModel.objects.get(slug="aurora-large"),
        capabilities=["text"],
        region="eu-west",
        data_classification="internal",
        expected_monthly_tokens=300_000,
        owner=officer,
        assessment_id=assessment.pk,
    )
    services.deployment_request_transition(request=item, action="submit", by=officer, access=access_for(officer))
    from django.contrib.auth import get_user_model

    priya = get_user_model().objects.get(username="priya")
    services.deployment_request_transition(request=item, action="approve", by=priya, access=access_for(priya))

    def provisioned():
        with country_context(fr):
            job = ProvisioningJob.objects.filter(request=item).first()
            return job is not None and job.state == "done" and Environment.objects.filter(request=item).first()

    return wait_for(provisioned, timeout=60)


def call(base: str, secret: str) -> httpx.Response:
    return httpx.post(
        f"{base}/v1/chat/completions",
        json={"model": "aurora-large", "messages": [{"role": "user", "content": "Can I park on Sundays?"}]},
        headers={"Authorization": f"Bearer {secret}"},
        timeout=30,
    )


def test_a_new_environment_answers_through_the_gateway_until_the_kill_switch(
    page, demo, ready_demo, celery_worker_process, gateways
):
    environment = approved_environment(demo, ready_demo)
    environment_url = f"/c/fr/deployments/environments/{environment.pk}/"

    sign_in(page, "olivier")
    page.goto(environment_url)
    assert page.locator("#environment-state").inner_text() == "Active"
    endpoint = page.locator("#gateway code").first.inner_text()
    assert endpoint.endswith("/v1")
    page.get_by_role("button", name="Show the credential once").click()
    secret = page.locator("#credential-secret").inner_text()
    assert page.get_by_role("button", name="Stop all calls now").count() == 0  # an officer has no kill switch

    # The officer's application: a chat completion through the gateway.
    answered = wait_for(lambda: (r := call(gateways[0], secret)).status_code == 200 and r, timeout=20)
    assert answered.json()["choices"][0]["message"]["content"].startswith("The approved model")

    sign_in(page, "amelie")
    page.goto(environment_url)
    page.get_by_label("Reason for stopping the calls").fill("Answers quote a pupil's record.")
    with page.expect_navigation(url=re.compile(re.escape(environment_url) + "$")):
        page.get_by_role("button", name="Stop all calls now").click()
    assert "Stopped" in page.locator("#gateway-state").inner_text()
    assert page.get_by_role("button", name="Resume calls").count() == 1

    # The next call is refused, by every replica, saying which rule and what to do.
    def refused():
        answers = [call(base, secret) for base in gateways]
        return all(a.status_code == 403 for a in answers) and answers

    answers = wait_for(refused, timeout=10, interval=0.05)
    error = answers[0].json()["error"]
    assert error["code"] == "environment_stopped" and error["rule"] == "state"
    assert "resume" in error["message"].lower()
