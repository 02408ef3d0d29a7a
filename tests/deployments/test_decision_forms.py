"""A partner manager's decision on a deployment request, page and API: what they wrote comes back
after a refusal, a decision they have made is not offered again, and no approval passes while a
check before review fails (the service refuses it, so neither page nor API can)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from guardian.shortcuts import assign_perm

from deployments import services
from deployments.models import DeploymentRequest
from engagements.models import Engagement
from tenants.isolation import country_context
from tests.deployments.conftest import act, draft

pytestmark = pytest.mark.django_db


def submitted(cast, ready, **change):
    return services.deployment_request_transition(
        request=draft(cast, ready, **change), action="submit", **act(cast.member)
    )


def test_a_refused_approval_keeps_what_the_partner_manager_wrote(client, cast, ready):
    item = submitted(cast, ready)
    client.force_login(cast.partner)
    response = client.post(
        f"/c/fr/deployments/{item.pk}/approve/",
        {
            "comment": "Only for the pilot offices.",
            "quota_tokens": "4321",
            "expires_on": "1999-01-01",
            "human_review_required": "on",
        },
    )
    html = response.content.decode()
    assert response.status_code == 400 and "must be in the future" in html
    assert ">Only for the pilot offices.</textarea>" in html
    assert 'value="4321"' in html and 'value="1999-01-01"' in html
    assert 'id="id_human_review_required" name="human_review_required" type="checkbox" value="on" checked' in html
    # The error summary links to the field in error, which carries that id.
    assert 'href="#id_expires_on"' in html and 'id="id_expires_on"' in html
    with country_context(cast.fr):
        assert DeploymentRequest.objects.get(pk=item.pk).state == "submitted"


def test_an_approval_made_is_not_offered_again(client, api, cast, ready, django_user_model):
    second = django_user_model.objects.create(username="second-partner")
    second.groups.add(Group.objects.get(name="Partner managers"))
    assign_perm("tenants.manage_partnership", second, cast.fr)
    item = submitted(cast, ready, assessment_id=ready.high_assessment.pk)  # high risk: two approvals
    client.force_login(cast.partner)
    assert client.post(f"/c/fr/deployments/{item.pk}/approve/", {"comment": "Fine."}).status_code == 302
    html = client.get(f"/c/fr/deployments/{item.pk}/").content.decode()
    assert f'action="/c/fr/deployments/{item.pk}/approve/"' not in html
    assert f'action="/c/fr/deployments/{item.pk}/request_changes/"' in html  # still in review
    api.force_login(cast.partner)
    assert "approve" not in api.get(f"/api/v1/countries/FR/deployment-requests/{item.pk}/").json()["actions"]
    client.force_login(second)
    html = client.get(f"/c/fr/deployments/{item.pk}/").content.decode()
    assert f'action="/c/fr/deployments/{item.pk}/approve/"' in html


def test_no_approval_while_a_check_before_review_fails(client, api, cast, ready):
    item = submitted(cast, ready)
    with country_context(cast.fr):  # since the submission, the engagement was suspended
        Engagement.objects.filter(country=cast.fr).update(state=Engagement.State.SUSPENDED)
    with pytest.raises(services.ServiceError) as error:
        services.deployment_request_transition(request=item, action="approve", **act(cast.partner))
    assert error.value.field == "gates" and "cannot be approved while a check before review fails" in str(
        error.value.message
    )
    assert "Engagement and its terms" in str(error.value.message)

    client.force_login(cast.partner)
    html = client.get(f"/c/fr/deployments/{item.pk}/").content.decode()
    assert f'action="/c/fr/deployments/{item.pk}/approve/"' not in html
    assert f'action="/c/fr/deployments/{item.pk}/request_changes/"' in html
    response = client.post(f"/c/fr/deployments/{item.pk}/approve/", {"comment": "Fine."})
    html = response.content.decode()
    assert response.status_code == 400 and "cannot be approved while a check" in html and 'href="#gates"' in html

    api.force_login(cast.partner)
    url = f"/api/v1/countries/FR/deployment-requests/{item.pk}/"
    assert "approve" not in api.get(url).json()["actions"]
    response = api.post(url + "approve/", {}, format="json")
    assert response.status_code == 400 and "cannot be approved while a check" in str(response.json())
    with country_context(cast.fr):
        assert DeploymentRequest.objects.get(pk=item.pk).state == "submitted"
