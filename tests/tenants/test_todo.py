"""A country's overview tells the reader what waits for them there: the policies they have to
acknowledge, the courses they have not finished, the requests sent back to them and their drafts;
for a partner manager, what waits for their decision. Read in the overview's one query of facts,
whatever there is to do; another country's people and objects never appear."""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from deployments import services as deployment_services
from deployments.models import DeploymentRequest
from governance import services as governance_services
from tenants.access import access_for
from tenants.isolation import country_context
from tests.deployments.conftest import active_engagement, fields, make_model
from tests.governance.helpers import completed_assessment, published_policy

pytestmark = pytest.mark.django_db


def act(user):
    return {"by": user, "access": access_for(user)}


def todo_items(client, code="fr") -> dict[str, tuple[str, str]]:
    body = client.get(f"/c/{code}/").content.decode()
    assert 'id="your-todo"' in body
    return {
        key: (html.unescape(re.sub(r"\s+", " ", text).strip()), url)
        for key, url, text in re.findall(
            r'<li data-todo="([^"]+)"><a class="govuk-link" href="([^"]+)">([^<]+)</a>', body
        )
    }


def overview_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/c/fr/").status_code == 200
    return len(queries)


def test_the_overview_lists_what_waits_for_the_reader(client, cast):
    from training import services as training_services
    from training.models import Enrolment, Programme

    client.force_login(cast.member)
    assert todo_items(client) == {}
    assert "Nothing is waiting for you in France." in client.get("/c/fr/").content.decode()
    empty = overview_queries(client)

    # A policy that binds officers, two courses (one overdue), a request sent back and a draft.
    _, version = published_policy(cast, slug="human-oversight")
    published_policy(cast, slug="bias-and-fairness")
    training_services.catalogue_sync()
    programmes = list(Programme.objects.order_by("pk")[:2])
    for programme in programmes:
        training_services.enrolment_create(country=cast.fr, user=cast.member, programme=programme, **act(cast.member))
    with country_context(cast.fr):
        Enrolment.objects.filter(user=cast.member, programme=programmes[0]).update(due_date=dt.date(2026, 1, 1))
    active_engagement(cast.fr, cast.fr_ministry)
    ready = type("Ready", (), {"model": make_model(), "assessment": completed_assessment(cast)})
    sent_back = deployment_services.deployment_request_create(
        country=cast.fr, **act(cast.member), **fields(cast, ready)
    )
    deployment_services.deployment_request_create(country=cast.fr, **act(cast.member), **fields(cast, ready))
    with country_context(cast.fr):
        DeploymentRequest.objects.filter(pk=sent_back.pk).update(state=DeploymentRequest.State.CHANGES_REQUESTED)

    items = todo_items(client)
    with country_context(cast.fr):
        binding = sum(
            "officer" in v.roles for v in governance_services.PolicyVersion.objects.filter(status="published")
        )
    assert items["policies"][1] == "/c/fr/governance/policies/"
    assert items["policies"][0] == (
        f"You have {binding} policies to acknowledge." if binding > 1 else "You have 1 policy to acknowledge."
    )
    assert items["training"] == ("You have 2 courses to finish. 1 of them is past its due date.", "/c/fr/training/")
    assert items["deployments_sent_back"] == (
        "1 deployment request was sent back to you with changes requested.",
        f"/c/fr/deployments/{sent_back.pk}/",
    )
    assert items["deployments_drafts"] == (
        "You have 1 draft deployment request not yet submitted.",
        "/c/fr/deployments/",
    )
    assert overview_queries(client) <= empty + 1  # the items ride in the overview's one query of facts

    # Done, they leave the list.
    governance_services.acknowledgement_create(version=version, **act(cast.member))
    with country_context(cast.fr):
        Enrolment.objects.filter(user=cast.member).update(status=Enrolment.Status.COMPLETED)
    items = todo_items(client)
    assert "training" not in items
    assert ("policies" in items) == (binding > 1)

    # The viewer owes no request; the country admin, whose engagement is active, sees no draft of it.
    client.force_login(cast.viewer)
    assert not {"deployments_sent_back", "deployments_drafts"} & set(todo_items(client))
    client.force_login(cast.owner)
    assert "engagement_draft" not in todo_items(client)
    # Kenya's admin sees none of France's in Kenya, and France's overview is a 404 to them.
    client.force_login(cast.outsider)
    assert todo_items(client, "ke") == {}
    assert client.get("/c/fr/").status_code == 404


def test_a_partner_manager_sees_what_waits_for_their_decision(client, cast):
    active_engagement(cast.fr, cast.fr_ministry)
    ready = type("Ready", (), {"model": make_model(), "assessment": completed_assessment(cast)})
    request = deployment_services.deployment_request_create(country=cast.fr, **act(cast.member), **fields(cast, ready))
    client.force_login(cast.partner)
    assert "deployments_to_decide" not in todo_items(client)
    with country_context(cast.fr):
        DeploymentRequest.objects.filter(pk=request.pk).update(state=DeploymentRequest.State.SUBMITTED)
    assert todo_items(client)["deployments_to_decide"] == (
        "1 deployment request waits for a decision.",
        "/review/?country=FR",
    )
    # A country admin whose engagement application is still a draft is told to finish it.
    from engagements.models import Engagement

    with country_context(cast.ke):
        Engagement.objects.create(country=cast.ke, organisation=cast.ke_ministry)
    client.force_login(cast.outsider)
    assert todo_items(client, "ke")["engagement_draft"] == (
        "The engagement's terms are in draft: finish them and submit them for review.",
        "/c/ke/engagement/",
    )
    # An auditor is told nothing waits: they read, they do not act.
    client.force_login(cast.auditor)
    assert todo_items(client) == {}
    assert "Nothing is waiting for you in France." in client.get("/c/fr/").content.decode()
