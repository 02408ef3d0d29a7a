"""The deployments pages, each for the owner (FR country admin), a same-country member (FR officer
or viewer), another country's member (KE country admin: 404, also for FR ids under KE's URL) and an
anonymous visitor (redirect to log in); the writes made through them; the review queue; and
constant query counts on the list page."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from deployments import provisioning, services
from deployments.models import Credential, DeploymentRequest, Environment, ProvisioningJob
from tenants.isolation import country_context
from tenants.record.models import ActionReason, CountryEvent
from tests.deployments.conftest import act, draft

pytestmark = pytest.mark.django_db


def as_user(client, user):
    client.force_login(user)
    return client


def active(cast, ready):
    item = draft(cast, ready)
    item = services.deployment_request_transition(request=item, action="submit", **act(cast.member))
    item = services.deployment_request_transition(request=item, action="approve", **act(cast.partner))
    with country_context(cast.fr):
        job = ProvisioningJob.objects.get(request=item)
    provisioning.provisioning_run(country_id=cast.fr.pk, job_id=job.pk)
    with country_context(cast.fr):
        return item, Environment.objects.get(request=item)


def pages(item, environment):
    return [
        "/c/fr/deployments/",
        "/c/fr/deployments/new/",
        f"/c/fr/deployments/{item.pk}/",
        f"/c/fr/deployments/{item.pk}/progress.json",
        f"/c/fr/deployments/environments/{environment.pk}/",
    ]


def test_pages_for_the_four_visitors(client, cast, ready):
    item, environment = active(cast, ready)
    for url in pages(item, environment):
        assert as_user(client, cast.owner).get(url).status_code == 200, url
        expected = 403 if url.endswith("/new/") else 200
        assert as_user(client, cast.viewer).get(url).status_code == expected, url
        assert as_user(client, cast.outsider).get(url).status_code == 404, url
        if re.search(r"/\d+/", url):  # FR's ids under KE's own URL are not found either
            assert client.get(url.replace("/c/fr/", "/c/ke/")).status_code == 404, url
        client.logout()
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], url


def test_the_request_page_shows_gates_progress_and_the_environment(client, cast, ready):
    item, environment = active(cast, ready)
    html = as_user(client, cast.member).get(f"/c/fr/deployments/{item.pk}/").content.decode()
    for gate in ("engagement", "assessment", "policies", "training"):
        assert f'data-gate="{gate}"' in html
    assert 'value="100"' in html and "environment-link" in html
    progress = client.get(f"/c/fr/deployments/{item.pk}/progress.json").json()
    assert progress["state"] == "active" and progress["provisioning"]["percent"] == 100


def test_drafting_and_submitting_through_the_pages(client, cast, ready):
    as_user(client, cast.member)
    data = {
        "title": "Letters helper",
        "purpose": "Draft replies to citizens.",
        "organisation": cast.fr_ministry.pk,
        "sector": "public_services",
        "model": ready.model.slug,
        "capabilities": ["text"],
        "region": "eu-west",
        "data_classification": "internal",
        "expected_monthly_tokens": "5000",
        "assessment": ready.assessment.pk,
        "owner": cast.owner.pk,
    }
    response = client.post("/c/fr/deployments/new/", {**data, "capabilities": ["speech"]})
    # The form offers only what the engagement's terms cover (text and embeddings).
    assert response.status_code == 400 and "Choose capabilities from the list." in response.content.decode()
    response = client.post("/c/fr/deployments/new/", data)
    assert response.status_code == 302
    with country_context(cast.fr):
        item = DeploymentRequest.objects.get()
    submitted = client.post(f"/c/fr/deployments/{item.pk}/submit/", follow=True)
    # The flash says what happened in a sentence of its own, not "Done: submit for review."
    assert "The request was submitted for review." in submitted.content.decode()
    assert "Done:" not in submitted.content.decode()
    # The partner manager reviews it from the shared queue, and approves with conditions.
    html = as_user(client, cast.partner).get("/review/").content.decode()
    assert f'data-deployment="{item.pk}"' in html
    response = client.post(
        f"/c/fr/deployments/{item.pk}/approve/", {"quota_tokens": "4000", "expires_on": "1999-01-01"}
    )
    assert response.status_code == 400 and "must be in the future" in response.content.decode()
    response = client.post(f"/c/fr/deployments/{item.pk}/approve/", {"quota_tokens": "4000"})
    assert response.status_code == 302
    assert "Your approval of this request is recorded." in client.get(response["Location"]).content.decode()
    with country_context(cast.fr):
        item.refresh_from_db()
    assert (item.state, item.quota_tokens) == ("approved", 4000)


def test_refused_actions_through_the_pages(client, cast, ready):
    item = services.deployment_request_transition(request=draft(cast, ready), action="submit", **act(cast.member))
    assert as_user(client, cast.member).post(f"/c/fr/deployments/{item.pk}/approve/").status_code == 403
    assert as_user(client, cast.outsider).post(f"/c/fr/deployments/{item.pk}/approve/").status_code == 404
    assert as_user(client, cast.partner).post(f"/c/fr/deployments/{item.pk}/reject/").status_code == 400
    assert client.post(f"/c/fr/deployments/{item.pk}/no-such-thing/").status_code == 404
    with country_context(cast.fr):
        assert DeploymentRequest.objects.get(pk=item.pk).state == "submitted"


def test_a_failing_gate_is_shown_by_name_on_submit(client, cast, ready):
    item = draft(cast, ready, assessment_id=None)
    html = as_user(client, cast.member).get(f"/c/fr/deployments/{item.pk}/").content.decode()
    # Submit is not offered while a check fails; the failing check links to where it is fixed.
    assert "Submit for review" not in html
    assert f'href="/c/fr/deployments/{item.pk}/edit/"' in html and "Link an impact assessment" in html
    response = client.post(f"/c/fr/deployments/{item.pk}/submit/")
    assert response.status_code == 400
    html = response.content.decode()
    assert "cannot be submitted until every check passes (to do: Impact assessment)" in html and 'href="#gates"' in html


def test_the_credential_is_shown_once_on_the_environment_page(client, cast, ready):
    item, environment = active(cast, ready)
    url = f"/c/fr/deployments/environments/{environment.pk}/"
    assert 'id="reveal"' not in as_user(client, cast.owner).get(url).content.decode()  # issued to the requester
    html = as_user(client, cast.member).get(url).content.decode()
    assert 'id="reveal"' in html and 'id="credential-secret"' not in html
    response = client.post(url + "reveal/")
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    secret = re.search(r'id="credential-secret">([^<]+)<', response.content.decode()).group(1)
    assert len(secret) > 40
    assert client.post(url + "reveal/").status_code == 400
    html = client.get(url).content.decode()
    assert secret not in html and 'id="reveal"' not in html


def test_rotate_and_usage_through_the_pages(client, cast, ready):
    item, environment = active(cast, ready)
    url = f"/c/fr/deployments/environments/{environment.pk}/"
    assert as_user(client, cast.viewer).post(url + "rotate/").status_code == 403
    assert as_user(client, cast.outsider).post(url + "rotate/").status_code == 404
    assert client.get(url + "rotate/").status_code == 404
    client.logout()
    assert client.post(url + "rotate/", {"comment": "x"})["Location"].startswith("/accounts/login/")
    # The page links to a confirmation; a POST without a reason answers it again and rotates nothing.
    page = as_user(client, cast.owner).get(url).content.decode()
    assert f'href="{url}rotate/"' in page
    confirm = client.get(url + "rotate/").content.decode()
    assert 'class="govuk-warning-text"' in confirm and "Yes, rotate the credential" in confirm
    with country_context(cast.fr):
        live = set(Credential.objects.filter(revoked_at__isnull=True).values_list("pk", flat=True))
    response = client.post(url + "rotate/")
    assert response.status_code == 400 and "Say why: the reason goes on the record." in response.content.decode()
    with country_context(cast.fr):
        assert set(Credential.objects.filter(revoked_at__isnull=True).values_list("pk", flat=True)) == live
    response = client.post(url + "rotate/", {"comment": "The key was shared by mistake."})
    assert response.status_code == 302
    with country_context(cast.fr):
        event = CountryEvent.objects.filter(action="credential.rotated").latest("id")
        assert ActionReason.objects.get(pk=event.payload["reason"]).reason == "The key was shared by mistake."
        assert not live & set(Credential.objects.filter(revoked_at__isnull=True).values_list("pk", flat=True))
    assert 'id="credential-secret"' in client.post(url + "reveal/").content.decode()
    assert client.post(url + "usage/", {"tokens": "-3"}).status_code == 400
    assert client.post(url + "usage/", {"tokens": "12"}).status_code == 302
    with country_context(cast.fr):
        assert Environment.objects.get().tokens_used == 12


def test_the_list_page_keeps_a_constant_number_of_queries(client, cast, ready):
    as_user(client, cast.owner)

    def count() -> int:
        client.get("/c/fr/deployments/")
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/c/fr/deployments/").status_code == 200
        return len(queries)

    for _ in range(2):
        active(cast, ready)
    small = count()
    for _ in range(4):
        active(cast, ready)
    assert count() == small


def test_the_onboarding_step_is_done_when_an_environment_is_active(cast, ready):
    from deployments.selectors import onboarding_status

    assert onboarding_status(cast.fr).state == "not_started"
    draft(cast, ready)
    assert onboarding_status(cast.fr).state == "in_progress"
    active(cast, ready)
    assert onboarding_status(cast.fr).state == "done"


def test_the_history_lists_the_workers_steps_and_the_finished_panel_says_so(client, cast, ready):
    item, _environment = active(cast, ready)
    html = as_user(client, cast.member).get(f"/c/fr/deployments/{item.pk}/").content.decode()
    history = html.split('id="request-history"', 1)[1].split("</table>", 1)[0]
    # The people's moves and the worker's steps, in order.
    whats = re.findall(r'<td class="govuk-table__cell">([^<:]+): now ', history)
    assert whats == ["Submit for review", "Approve", "Start provisioning", "Activate"]
    assert history.count(">System</td>") == 2
    heading = html.split('id="progress-heading">', 1)[1].split("</h2>", 1)[0]
    assert heading == "Provisioning finished"
