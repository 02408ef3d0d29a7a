"""The onboarding task list registry."""

import pytest

from tenants import onboarding


def test_unregistered_steps_are_never_shown_as_done(cast, monkeypatch):
    monkeypatch.setattr(onboarding, "_registry", {})
    tasks = onboarding.task_list(cast.fr)
    assert [t.key for t in tasks] == list(onboarding.STEPS)
    assert all(t.state == onboarding.CANNOT_START and not t.done for t in tasks)


def test_a_registered_step_reports_its_status(cast, monkeypatch):
    monkeypatch.setattr(onboarding, "_registry", {})
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
