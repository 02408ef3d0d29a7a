"""A draft someone has written about is not deleted: each message is on the record (an event with
its SHA-256) and its conversation is reached only through its request, so the request stays, and
the page says why. Page and API, for the requester, a same-country member, another country's member
and anonymous; a draft nobody wrote about is still deleted."""

from __future__ import annotations

import pytest

from deployments import selectors, services
from deployments.models import DeploymentRequest
from tenants.conversations.services import message_post
from tenants.isolation import country_context
from tenants.record.models import CountryEvent
from tests.deployments.conftest import act, draft

pytestmark = pytest.mark.django_db
REFUSED = str(services.DELETE_REFUSED_CONVERSATION)


@pytest.fixture
def discussed(cast, ready):
    item = draft(cast, ready)
    subject = selectors.conversation_subject(request=item)
    message_post(subject=subject, text="Which region should this run in?", **act(cast.member))
    return item


def events(cast, action: str) -> int:
    with country_context(cast.fr):
        return CountryEvent.objects.filter(country=cast.fr, action=action).count()


def test_the_page_says_why_a_discussed_draft_stays_and_offers_no_deletion(client, cast, discussed):
    detail = f"/c/fr/deployments/{discussed.pk}/"
    for person in (cast.member, cast.owner):
        client.force_login(person)
        html = client.get(detail).content.decode()
        assert 'id="delete-refused"' in html and REFUSED in html and 'href="#conversation"' in html
        assert f'href="{detail}delete/"' not in html
        assert "Which region should this run in?" in html
    client.force_login(cast.outsider)
    assert client.get(detail).status_code == 404
    client.logout()
    assert client.get(detail).status_code == 302


def test_deleting_a_discussed_draft_is_refused_and_changes_nothing(client, cast, discussed):
    url = f"/c/fr/deployments/{discussed.pk}/delete/"
    client.force_login(cast.outsider)
    assert client.post(url).status_code == 404
    client.force_login(cast.member)
    shown = client.get(url).content.decode()  # the delete page says why and offers no button
    assert 'id="delete-refused"' in shown and REFUSED in shown and "govuk-button--warning" not in shown
    response = client.post(url)
    assert response.status_code == 400 and REFUSED in response.content.decode()
    assert 'href="#delete-refused"' in response.content.decode()
    with country_context(cast.fr):
        assert DeploymentRequest.objects.get(pk=discussed.pk).state == "draft"
    assert events(cast, "deployment.deleted") == 0
    with pytest.raises(services.ServiceError) as refused:
        services.deployment_request_delete(request=discussed, **act(cast.owner))
    assert refused.value.message == REFUSED


def test_the_api_keeps_the_request_and_its_conversation_reachable(client, cast, discussed):
    client.force_login(cast.member)
    client.post(f"/c/fr/deployments/{discussed.pk}/delete/")
    base = f"/api/v1/countries/FR/deployment-requests/{discussed.pk}/"
    assert client.get(base).json()["state"] == "draft"
    messages = client.get(f"{base}messages/").json()
    texts = [m.get("text") or m.get("body") for m in messages.get("results", messages)]
    assert texts == ["Which region should this run in?"]
    client.force_login(cast.outsider)
    assert client.get(f"{base}messages/").status_code == 404
    client.logout()
    assert client.get(f"{base}messages/").status_code == 401


def test_a_draft_nobody_wrote_about_is_still_deleted(client, cast, ready):
    item = draft(cast, ready)
    client.force_login(cast.member)
    html = client.get(f"/c/fr/deployments/{item.pk}/").content.decode()
    assert 'id="delete-refused"' not in html and f'href="/c/fr/deployments/{item.pk}/delete/"' in html
    assert client.post(f"/c/fr/deployments/{item.pk}/delete/").status_code == 302
    with country_context(cast.fr):
        assert not DeploymentRequest.objects.filter(pk=item.pk).exists()
    assert events(cast, "deployment.deleted") == 1
