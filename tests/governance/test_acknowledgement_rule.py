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
