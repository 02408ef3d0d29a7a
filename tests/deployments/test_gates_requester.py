"""Gates hold the person who submits, the requester and the owner, and each one's own organisation:
a request naming another organisation cannot dodge them, and nobody may name an organisation they
do not act for (service, API and form alike)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from deployments import gates, services
from deployments.forms import RequestForm
from deployments.models import DeploymentRequest
from governance.models import Acknowledgement
from tenants.access import access_for
from tenants.identity.tokens import api_token_issue
from tenants.isolation import country_context
from tests.training.conftest import complete, enrol

from .conftest import acknowledge_all, act, draft, fields

pytestmark = pytest.mark.django_db


def expire_acknowledgements(cast, user):
    with country_context(cast.fr):
        Acknowledgement.objects.filter(user=user).update(expires_at=timezone.now() - timedelta(days=1))


@pytest.fixture
def agency_acknowledged(cast, ready):
    """The other organisation of France has acknowledged everything: naming it used to pass."""
    from governance.models import PolicyVersion

    with country_context(cast.fr):
        version = PolicyVersion.objects.get(status="published")
    acknowledge_all(cast, version, [cast.viewer])


def test_an_officer_cannot_name_an_organisation_he_does_not_act_for(cast, ready, agency_acknowledged):
    with pytest.raises(services.ServiceError) as refusal:
        draft(cast, ready, organisation=cast.fr_agency)
    assert refusal.value.field == "organisation" and "Agence des Données" in refusal.value.message
    with country_context(cast.fr):
        assert not DeploymentRequest.objects.exists()


def test_the_api_refuses_an_organisation_the_requester_does_not_act_for(cast, ready, agency_acknowledged):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {api_token_issue(user=cast.member)[0]}")
    body = {**fields(cast, ready), "organisation": cast.fr_agency.pk, "model": ready.model.slug, "owner": cast.owner.pk}
    body["assessment"] = body.pop("assessment_id")
    response = client.post("/api/v1/countries/FR/deployment-requests/", body, format="json")
    assert response.status_code == 400, response.content
    assert list(response.json()["errors"]) == ["organisation"]
    body["organisation"] = cast.fr_ministry.pk
    assert client.post("/api/v1/countries/FR/deployment-requests/", body, format="json").status_code == 201


def test_the_form_offers_only_the_organisations_the_person_acts_for(cast, ready):
    officer = RequestForm(country=cast.fr, access=access_for(cast.member))
    assert [pk for pk, _ in officer.fields["organisation"].choices] == [cast.fr_ministry.pk]
    admin = RequestForm(country=cast.fr, access=access_for(cast.owner))
    # Two to choose from: the select starts empty ("Choose an organisation"), nothing chosen for them.
    assert {pk for pk, _ in admin.fields["organisation"].choices if pk != ""} == {
        cast.fr_ministry.pk,
        cast.fr_agency.pk,
    }


def test_expired_acknowledgements_of_the_submitter_refuse_the_request_whatever_organisation_it_names(
    cast, ready, agency_acknowledged
):
    """The issue's dodge, by the one who may still name another organisation: a country admin of
    the ministry, whose own acknowledgements expired, names the agency (all acknowledged)."""
    expire_acknowledgements(cast, cast.owner)
    own = draft(cast, ready, by=cast.owner)
    other = draft(cast, ready, by=cast.owner, organisation=cast.fr_agency)
    for item in (own, other):
        with pytest.raises(services.ServiceError) as refusal:
            services.deployment_request_transition(request=item, action="submit", **act(cast.owner))
        assert "policies" in refusal.value.message
        assert "Ministère du Numérique" in refusal.value.message
    with country_context(cast.fr):
        assert set(DeploymentRequest.objects.values_list("state", flat=True)) == {"draft"}


def test_the_named_organisation_is_still_checked(cast, ready):
    """Naming the agency, whose viewer has acknowledged nothing, is refused too."""
    item = draft(cast, ready, by=cast.owner, organisation=cast.fr_agency)
    with pytest.raises(services.ServiceError, match="Agence des Données"):
        services.deployment_request_transition(request=item, action="submit", **act(cast.owner))


def test_the_training_gate_holds_the_person_who_submits(cast, ready):
    from training import services as training_services
    from training.models import Programme

    training_services.catalogue_sync()
    literacy = Programme.objects.get(slug="ai-literacy")
    complete(enrol(cast.fr, cast.member, literacy), cast.member)
    item = draft(cast, ready, by=cast.member, owner=cast.member)
    # The officer who drafted it, and owns it, is trained: the gate passes for him…
    assert {g.name: g.ok for g in gates.gates_check(country=cast.fr, request=item)}["training"] is True
    # …but the country admin who submits it is not.
    with pytest.raises(services.ServiceError) as refusal:
        services.deployment_request_transition(request=item, action="submit", **act(cast.owner))
    assert "training" in refusal.value.message and "the submitter (Olga Owner)" in refusal.value.message
    complete(enrol(cast.fr, cast.owner, literacy), cast.owner)
    submitted = services.deployment_request_transition(request=item, action="submit", **act(cast.owner))
    assert submitted.state == "submitted" and submitted.submitted_by_id == cast.owner.pk
