"""The four gates are read in one query whatever the request names (people, organisations,
capabilities), one more only to name the training someone lacks; and they answer what the
one-off selectors of governance and training answer for each organisation and person."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from deployments import gates
from engagements.models import Engagement
from governance import selectors as governance_selectors
from tenants.isolation import country_context
from training import selectors as training_selectors
from training.models import PlatformRequirement, Programme

from .conftest import draft

pytestmark = pytest.mark.django_db


def checked(cast, item) -> tuple[dict[str, gates.Gate], int]:
    """The gates of `item` by name, and the queries they cost, in the country's context (a page's)."""
    with country_context(cast.fr):
        with CaptureQueriesContext(connection) as captured:
            found = gates.gates_check(country=cast.fr, request=item)
    return {gate.name: gate for gate in found}, len(captured.captured_queries)


def many(cast, ready):
    """A request naming the agency, drafted by the ministry's admin, submitted by the agency's viewer
    and owned by the ministry's officer, for two capabilities: three people, two organisations."""
    item = draft(
        cast, ready, by=cast.owner, organisation=cast.fr_agency, owner=cast.member, capabilities=["text", "embeddings"]
    )
    item.submitted_by = cast.viewer  # as the service sets it before checking, when the viewer submits
    return item


def test_the_gates_cost_one_query_however_many_people_organisations_and_capabilities(cast, ready):
    one, one_cost = checked(cast, draft(cast, ready))
    several, several_cost = checked(cast, many(cast, ready))
    assert all(gate.ok for gate in one.values()), one
    assert one_cost == several_cost == 1
    # The agency's viewer acknowledged nothing: the policies gate fails there, as the selector says.
    assert not several["policies"].ok
    assert (
        several["policies"].reason == governance_selectors.acknowledgements_current(organisation=cast.fr_agency).reason
    )


def test_naming_missing_training_costs_one_query_more_whoever_lacks_it(cast, ready):
    for capability in ("text", "embeddings"):
        programme = Programme.objects.create(title=f"Safe {capability}", slug=f"safe-{capability}", summary="Basics.")
        PlatformRequirement.objects.create(programme=programme, role="officer", capability=capability)
    PlatformRequirement.objects.create(programme=Programme.objects.get(slug="safe-text"), role="country_admin")
    item = many(cast, ready)
    found, cost = checked(cast, item)
    assert cost == 2

    def first_lack(person) -> str:
        """What the gate used to ask person by person and capability by capability: the first lack."""
        for capability in item.capabilities:
            result = training_selectors.person_meets_requirements(
                country=cast.fr, user=person, sector=item.sector, capability=capability
            )
            if not result.ok:
                return result.reason
        return ""

    lacks = {person.pk: first_lack(person) for person in (cast.owner, cast.member, cast.viewer)}
    assert lacks[cast.owner.pk] and lacks[cast.member.pk] and not lacks[cast.viewer.pk]
    assert "Safe embeddings" in lacks[cast.member.pk]  # his first capability's
    assert not found["training"].ok
    assert found["training"].reason == (
        "Required training is missing: "
        f"the requester (Olga Owner): {lacks[cast.owner.pk]}; "
        f"the accountable owner (Marc Member): {lacks[cast.member.pk]}"
    )


def test_the_engagement_gate_says_where_it_is_fixed_without_reading_again(cast, ready):
    item = draft(cast, ready, sector="health")
    outside, _cost = checked(cast, item)
    with country_context(cast.fr):
        Engagement.objects.update(state="suspended")
    inactive, _cost = checked(cast, item)
    links = []
    with country_context(cast.fr):
        with CaptureQueriesContext(connection) as captured:
            for gate in (outside["engagement"], inactive["engagement"]):
                links.append(gates.gate_fix(country=cast.fr, request=item, gate=gate))
    assert not outside["engagement"].ok and not inactive["engagement"].ok
    assert links == [
        ("Change the request to fit the engagement's terms", f"/c/fr/deployments/{item.pk}/edit/"),
        ("Go to the engagement", "/c/fr/engagement/"),
    ]
    assert not captured.captured_queries
