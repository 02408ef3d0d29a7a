"""A deployment request from draft to decision through the pages: the new form chooses nothing
the person did not (their organisation, themself as owner, the terms' region); a draft is changed,
withdrawn from review and deleted; the moves that end something ask on a page of their own with a
required reason; reviewers and requesters are told, and the notices are cleared once acted on.
Each page for the owner, a same-country member, another country's member (404) and anonymous."""

from __future__ import annotations

import pytest

from deployments import services
from deployments.models import DeploymentRequest
from tenants.isolation import country_context
from tenants.notifications.models import Notification, OutgoingMail
from tests.deployments.conftest import act, draft

pytestmark = pytest.mark.django_db


def login(client, user):
    client.force_login(user)
    return client


def notices(cast, user, *, unread=True):
    with country_context(cast.fr):
        found = Notification.objects.filter(user=user)
        return list(found.filter(read_at__isnull=True) if unread else found)


def test_the_new_form_chooses_only_what_the_person_would(client, cast, ready):
    html = login(client, cast.member).get("/c/fr/deployments/new/").content.decode()
    # Their own organisation and themself as owner; the only region the terms allow.
    assert f'<option value="{cast.fr_ministry.pk}" selected>' in html
    assert f'<option value="{cast.member.pk}" selected>' in html
    assert '<option value="eu-west" selected>' in html and "af-east" not in html
    # No classification, model or sector is chosen for them (the terms allow only one sector here).
    assert '<option value="">Choose a classification</option>' in html
    assert '<option value="">Choose a model</option>' in html
    assert not any(
        f'value="{v}" selected' in html for v in ("public", "internal", "confidential", "personal", "aurora-large")
    )
    assert 'value="public_services" selected' in html
    # The capabilities offered are the terms' (text, embeddings), none ticked since there are two.
    assert 'value="text"' in html and 'value="embeddings"' in html and 'value="speech"' not in html
    assert " checked" not in html


def test_every_missing_answer_is_named(client, cast, ready):
    response = login(client, cast.member).post("/c/fr/deployments/new/", {})
    html = response.content.decode()
    assert response.status_code == 400
    for message in (
        "Enter a title for the request.",
        "Enter the purpose",
        "Choose a model from the catalogue.",
        "Choose at least one capability.",
        "Choose the classification of the data the model will see.",
        "Enter the expected monthly tokens.",
        "Choose the owner of the deployment.",
    ):
        assert message in html, message
    # The summary's link to the capabilities moves focus to the first checkbox.
    assert 'href="#id_capabilities"' in html and 'id="id_capabilities" name="capabilities" type="checkbox"' in html
    with country_context(cast.fr):
        assert not DeploymentRequest.objects.exists()


def test_a_draft_is_changed_on_its_edit_page(client, cast, ready):
    item = draft(cast, ready)
    url = f"/c/fr/deployments/{item.pk}/edit/"
    assert login(client, cast.owner).get(url).status_code == 200
    assert login(client, cast.viewer).get(url).status_code == 403
    assert login(client, cast.outsider).get(url).status_code == 404
    client.logout()
    assert client.get(url).status_code == 302
    html = login(client, cast.member).get(url).content.decode()
    assert 'value="Tax form assistant"' in html
    data = {
        "title": "Tax form helper",
        "purpose": "Help people fill in tax forms.",
        "organisation": cast.fr_ministry.pk,
        "sector": "public_services",
        "model": ready.model.slug,
        "capabilities": ["text", "embeddings"],
        "region": "eu-west",
        "data_classification": "internal",
        "expected_monthly_tokens": "9000",
        "assessment": ready.assessment.pk,
        "owner": cast.member.pk,
    }
    assert client.post(url, {**data, "title": ""}).status_code == 400
    assert client.post(url, data).status_code == 302
    with country_context(cast.fr):
        item.refresh_from_db()
    assert (item.title, item.expected_monthly_tokens, item.owner_id) == ("Tax form helper", 9000, cast.member.pk)
    # Once submitted it cannot be changed until withdrawn.
    services.deployment_request_transition(request=item, action="submit", **act(cast.member))
    assert client.get(url).status_code == 404
    assert client.post(f"/c/fr/deployments/{item.pk}/withdraw/").status_code == 302
    with country_context(cast.fr):
        item.refresh_from_db()
    assert item.state == "draft" and client.get(url).status_code == 200


def test_a_draft_is_deleted_after_a_confirmation(client, cast, ready):
    item = draft(cast, ready)
    url = f"/c/fr/deployments/{item.pk}/delete/"
    assert login(client, cast.viewer).get(url).status_code == 403
    assert login(client, cast.outsider).post(url).status_code == 404
    client.logout()
    assert client.post(url).status_code == 302
    html = login(client, cast.member).get(url).content.decode()
    assert "Yes, delete the draft" in html and "govuk-warning-text" in html
    assert client.post(url).status_code == 302
    with country_context(cast.fr):
        assert not DeploymentRequest.objects.filter(pk=item.pk).exists()
    assert client.get(f"/c/fr/deployments/{item.pk}/").status_code == 404


def test_a_submitted_request_is_not_deleted(client, cast, ready):
    item = services.deployment_request_transition(request=draft(cast, ready), action="submit", **act(cast.member))
    response = login(client, cast.member).post(f"/c/fr/deployments/{item.pk}/delete/")
    assert response.status_code == 400 and "withdraw it from review first" in response.content.decode()
    with country_context(cast.fr):
        assert DeploymentRequest.objects.get(pk=item.pk).state == "submitted"


def test_reject_asks_on_a_page_of_its_own_with_a_required_reason(client, cast, ready):
    item = services.deployment_request_transition(request=draft(cast, ready), action="submit", **act(cast.member))
    url = f"/c/fr/deployments/{item.pk}/reject/"
    assert login(client, cast.member).get(url).status_code == 403
    assert login(client, cast.outsider).get(url).status_code == 404
    client.logout()
    assert client.get(url).status_code == 302
    detail = login(client, cast.partner).get(f"/c/fr/deployments/{item.pk}/").content.decode()
    assert f'href="{url}"' in detail
    html = client.get(url).content.decode()
    assert "govuk-warning-text" in html and "Yes, reject it" in html and 'name="comment"' in html
    response = client.post(url, {"comment": ""})
    assert response.status_code == 400 and 'href="#id_comment"' in response.content.decode()
    with country_context(cast.fr):
        assert DeploymentRequest.objects.get(pk=item.pk).state == "submitted"
    assert client.post(url, {"comment": "Out of scope of the programme."}).status_code == 302
    with country_context(cast.fr):
        assert DeploymentRequest.objects.get(pk=item.pk).state == "rejected"
    # The reason is on the request's history.
    html = client.get(f"/c/fr/deployments/{item.pk}/").content.decode()
    assert "Out of scope of the programme." in html and "Reject: now Rejected" in html
    # Nothing left to confirm once it is done.
    assert client.get(url).status_code == 404


def test_reviewers_hear_of_a_submission_and_the_requester_of_the_decision(client, cast, ready):
    item = draft(cast, ready)
    before = OutgoingMail.objects.count()
    login(client, cast.member).post(f"/c/fr/deployments/{item.pk}/submit/")
    waiting = notices(cast, cast.partner)
    assert [n.url for n in waiting] == [f"/c/fr/deployments/{item.pk}/"]
    assert "waiting for your review" in waiting[0].subject
    assert OutgoingMail.objects.filter(to=cast.partner.email).count() == 1 and OutgoingMail.objects.count() > before
    response = login(client, cast.partner).post(
        f"/c/fr/deployments/{item.pk}/request_changes/", {"comment": "Say who checks the answers."}
    )
    assert response.status_code == 302
    # The reviewer's notice is cleared; the requester is told.
    assert notices(cast, cast.partner) == []
    told = notices(cast, cast.member)
    assert len(told) == 1 and "changes requested" in told[0].subject
    login(client, cast.member).post(f"/c/fr/deployments/{item.pk}/submit/")
    assert notices(cast, cast.member) == [] and len(notices(cast, cast.partner)) == 1
    login(client, cast.partner).post(f"/c/fr/deployments/{item.pk}/approve/", {"quota_tokens": "1000"})
    assert notices(cast, cast.partner) == []
    assert "approved" in notices(cast, cast.member)[0].subject


def test_the_record_names_the_request_and_its_move_in_words(client, cast, ready):
    item = services.deployment_request_transition(request=draft(cast, ready), action="submit", **act(cast.member))
    gone = draft(cast, ready, title="Tried and dropped")
    services.deployment_request_delete(request=gone, **act(cast.member))
    html = login(client, cast.owner).get("/c/fr/activity/").content.decode()
    assert "Deployment request submitted for review" in html and "From Draft to Submitted" in html
    assert f'href="/c/fr/deployments/{item.pk}/">Tax form assistant</a>' in html
    assert "Draft deployment request deleted" in html and "(deleted)" in html
    assert "Deploymentrequest" not in html and "deployment.drafted" not in html
