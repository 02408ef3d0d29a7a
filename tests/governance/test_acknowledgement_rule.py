"""The acknowledgement rule is written once (governance/acknowledgements.py) and every reader gives
the same answer from it: the deployment gate for an organisation, the onboarding step, the
governance page's figures and the dashboards of several countries, on a country where each part of
the rule matters (an old version, an expired acknowledgement, a suspended person, a role the policy
does not bind, a person not yet active, an acknowledgement counted twice)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from governance import dashboard, selectors, services
from governance.acknowledgements import ACK_THRESHOLD, acknowledgements_enough
from governance.models import Acknowledgement
from tenants.isolation import country_context, reading_context
from tenants.models import Membership
from tenants.onboarding import task_list

from .helpers import act, published_policy

pytestmark = pytest.mark.django_db


def test_every_reader_counts_the_acknowledgements_by_the_one_rule(cast):
    # Human oversight binds admins and officers: the owner and the member, never the viewer.
    policy, v1 = published_policy(cast, slug="human-oversight")
    services.acknowledgement_create(version=v1, **act(cast.member))  # of a version about to be replaced
    v2 = services.policy_version_create(
        policy=policy,
        text=v1.text + "\n\nA new rule.",
        language="fr",
        roles=["country_admin", "officer"],
        **act(cast.owner),
    )
    services.policy_version_publish(version=v2, reason="The second version replaces the first.", **act(cast.owner))
    with country_context(cast.fr):
        v2.refresh_from_db()
    services.acknowledgement_create(version=v2, **act(cast.owner))
    services.acknowledgement_create(version=v2, **act(cast.owner))  # twice: one person × version once
    # A second policy (whichever roles it binds); the member's acknowledgement of it has expired.
    _, other = published_policy(cast, slug="generative-ai-acceptable-use")
    expired = services.acknowledgement_create(version=other, **act(cast.member))
    with country_context(cast.fr):
        Acknowledgement.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
        other_roles = set(other.roles)
    # Required: owner × v2, member × v2, and each of owner and member × `other` if it binds their role.
    required = 2 + len(other_roles & {"country_admin", "officer"}) + ("viewer" in other_roles)
    expected = (required, 1)  # only the owner's acknowledgement of v2 is current

    with country_context(cast.fr):
        assert selectors.acknowledgement_state(country=cast.fr) == expected
    gate = selectors.acknowledgements_current(organisation=cast.fr_ministry)
    assert (gate.ok, gate.missing) == (False, required - 1 - ("viewer" in other_roles))
    with reading_context([cast.fr.pk, cast.ke.pk]):
        figures = dashboard.dashboard_figures(country_ids=[cast.fr.pk, cast.ke.pk])
    assert (figures[cast.fr.pk]["ack_required"], figures[cast.fr.pk]["ack_current"]) == expected
    assert (figures[cast.ke.pk]["ack_required"], figures[cast.ke.pk]["ack_current"]) == (0, 0)
    step = next(task for task in task_list(cast.fr) if task.key == "policies")
    assert step.detail == f"1 of {required} acknowledgements are current; 80% are needed."

    # A person no longer active owes nothing and their acknowledgements no longer count, for every reader.
    fewer = (required - 1 - ("country_admin" in other_roles), 0)
    with country_context(cast.fr):
        Membership.objects.filter(country=cast.fr, user=cast.owner).update(status=Membership.Status.INVITED)
        assert selectors.acknowledgement_state(country=cast.fr) == fewer
    with reading_context([cast.fr.pk]):
        figures = dashboard.dashboard_figures(country_ids=[cast.fr.pk])
    assert (figures[cast.fr.pk]["ack_required"], figures[cast.fr.pk]["ack_current"]) == fewer


def test_the_step_is_done_at_the_threshold_and_not_below():
    assert ACK_THRESHOLD == 0.8
    assert acknowledgements_enough(5, 4) and acknowledgements_enough(10, 10)
    assert not acknowledgements_enough(5, 3) and not acknowledgements_enough(0, 0)


def test_the_policies_page_names_who_still_has_to_acknowledge(client, cast):
    """The deployment gate waits for people a requester cannot acknowledge for: the page its link
    opens names them (by the same rule), this country's only, in a constant number of queries."""
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from deployments.gates import Gate, gate_fix
    from governance.acknowledgements import still_to_acknowledge
    from tenants.models import Organisation

    _, version = published_policy(cast, slug="human-oversight")  # binds admins and officers
    published_policy(cast, country=cast.ke, admin=cast.outsider, slug="human-oversight")
    services.acknowledgement_create(version=version, **act(cast.owner))

    with country_context(cast.fr):
        people, total = still_to_acknowledge(cast.fr)
    assert total == 1 and [(m.user.username, m.required, m.current) for m in people] == [("member", 1, 0)]

    client.force_login(cast.owner)
    page = client.get("/c/fr/governance/policies/")
    assert page.status_code == 200
    body = page.content.decode()
    assert 'id="still-to-acknowledge"' in body and "No policy is waiting for your acknowledgement." in body
    assert "Marc Member" in body and "Otieno Outsider" not in body and "Vera Viewer" not in body  # KE's; not bound

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/c/fr/governance/policies/").status_code == 200
        return len(queries)

    few = count()
    with country_context(cast.fr):
        agency = Organisation.objects.get(pk=cast.fr_agency.pk)
        for n in range(5):
            user = get_user_model().objects.create(username=f"officer{n}", first_name="Zoé", last_name=f"Officer {n}")
            Membership.objects.create(country=cast.fr, user=user, organisation=agency, role="officer")
    assert count() == few
    body = client.get("/c/fr/governance/policies/").content.decode()
    assert body.count("Zoé Officer") == 5 and "6 people have not acknowledged" in body

    # The member, who has one to do, is told so; once done, the list is empty.
    client.force_login(cast.member)
    assert "You have 1 policy to acknowledge" in client.get("/c/fr/governance/policies/").content.decode()
    services.acknowledgement_create(version=version, **act(cast.member))
    with country_context(cast.fr):
        assert [m.user.username for m in still_to_acknowledge(cast.fr)[0]] == [f"officer{n}" for n in range(5)]

    # The gate's link goes there when people are missing, and to the policies when none is published.
    fix = gate_fix(country=cast.fr, request=None, gate=Gate("policies", False, "…", fix="people"))
    assert fix[1] == "/c/fr/governance/policies/#still-to-acknowledge"
    assert gate_fix(country=cast.fr, request=None, gate=Gate("policies", False, "…", fix="publish"))[1] == (
        "/c/fr/governance/policies/"
    )
