"""The onboarding task list registry."""

import pytest
from django.db import connection
from django.db.models import Exists
from django.test.utils import CaptureQueriesContext

from tenants import onboarding
from tenants.isolation import country_context
from tenants.models import Membership, Organisation


def test_unregistered_steps_are_never_shown_as_done(cast, monkeypatch):
    monkeypatch.setattr(onboarding, "_registry", {})
    monkeypatch.setattr(onboarding, "_facts", {})
    tasks = onboarding.task_list(cast.fr)
    assert [t.key for t in tasks] == list(onboarding.STEPS)
    assert all(t.state == onboarding.CANNOT_START and not t.done for t in tasks)


def test_a_registered_step_reports_its_status(cast, monkeypatch):
    monkeypatch.setattr(onboarding, "_registry", {})
    monkeypatch.setattr(onboarding, "_facts", {})
    onboarding.register(
        "policies",
        status=lambda country: onboarding.StepStatus(
            onboarding.DONE, f"{country.code} adopted 3 policies", "/c/fr/governance/"
        ),
    )
    policies = next(t for t in onboarding.task_list(cast.fr) if t.key == "policies")
    assert policies.done and policies.detail == "FR adopted 3 policies" and policies.state_label == "Completed"


def test_unknown_steps_and_states_are_refused():
    with pytest.raises(ValueError):
        onboarding.register("lunch", status=lambda country: None)
    with pytest.raises(ValueError):
        onboarding.StepStatus("finished")
    with pytest.raises(ValueError):  # neither way of computing a status, or both
        onboarding.register("policies")
    with pytest.raises(ValueError):
        onboarding.register("policies", facts=lambda country: {}, status=lambda country: None)


def test_the_facts_of_every_step_are_read_in_one_query(cast, monkeypatch):
    """Steps registered with facts cost one query together, with the caller's own facts."""
    monkeypatch.setattr(onboarding, "_registry", {})
    monkeypatch.setattr(onboarding, "_facts", {})
    seen = {}

    def decide(country, facts):
        seen.update(facts)
        return onboarding.StepStatus(onboarding.DONE if facts["n"] else onboarding.NOT_STARTED)

    for key in onboarding.STEPS:
        onboarding.register(
            key,
            facts=lambda country: {"n": onboarding.CountOf(Organisation.objects.filter(country=country))},
            decide=decide,
        )
    with country_context(cast.fr):
        organisations = Organisation.objects.filter(country=cast.fr).count()
        viewers = Membership.objects.filter(country=cast.fr, role=Membership.Role.VIEWER)
        with CaptureQueriesContext(connection) as queries:
            tasks, mine = onboarding.task_list_and_facts(
                cast.fr, {"viewers": onboarding.CountOf(viewers), "any": Exists(viewers)}
            )
        expected_viewers = viewers.count()
    assert len(queries.captured_queries) == 1
    assert organisations and seen == {"n": organisations}
    assert all(task.done for task in tasks)
    assert mine == {"viewers": expected_viewers, "any": expected_viewers > 0}


def test_facts_keep_to_the_scope_they_are_read_in(cast):
    """A fact is a query like any other: read in Kenya's context, France's rows stay out of it."""
    with country_context(cast.fr):
        fr = onboarding.read_facts(cast.fr, {"n": onboarding.CountOf(Organisation.objects.filter(country=cast.fr))})
    with country_context(cast.ke):
        from_ke = onboarding.read_facts(
            cast.fr, {"n": onboarding.CountOf(Organisation.objects.filter(country=cast.fr))}
        )
    assert fr["n"] > 0 and from_ke == {"n": 0}
