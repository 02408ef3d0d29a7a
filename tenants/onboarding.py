"""The onboarding task list of a country (the GOV.UK "task list" pattern): five steps in a fixed
order, each with a status computed from the data by the app that owns it.

tenants sits at the bottom of the layers and cannot ask the apps above it, so they register their
step here, from their AppConfig.ready():

    from tenants.onboarding import StepStatus, register
    register("policies", status=lambda country: StepStatus("done"))

A step no app has registered yet is shown as not available, never as done."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

# key -> title, in the order a country goes through them.
STEPS: dict[str, str] = {
    "engagement": "Engagement approved",
    "policies": "Policies adopted",
    "training": "Staff trained",
    "assessment": "First impact assessment",
    "deployment": "First deployment",
}

CANNOT_START = "cannot_start"
NOT_STARTED = "not_started"
IN_PROGRESS = "in_progress"
DONE = "done"
STATES = {CANNOT_START: "Cannot start yet", NOT_STARTED: "Not started", IN_PROGRESS: "In progress", DONE: "Completed"}


@dataclass(frozen=True)
class StepStatus:
    state: str
    detail: str = ""  # one short sentence: what is done, or what to do next
    url: str = ""  # where to act on it, for this country

    def __post_init__(self) -> None:
        if self.state not in STATES:
            raise ValueError(f"unknown step state {self.state!r}")


@dataclass(frozen=True)
class Task:
    key: str
    title: str
    state: str
    state_label: str
    detail: str
    url: str

    @property
    def done(self) -> bool:
        return self.state == DONE


_registry: dict[str, Callable[[object], StepStatus]] = {}


def register(key: str, *, status: Callable[[object], StepStatus]) -> None:
    """Give step `key` its status function (called with the Country, inside its country context)."""
    if key not in STEPS:
        raise ValueError(f"unknown onboarding step {key!r}; the steps are {', '.join(STEPS)}")
    _registry[key] = status


def task_list(country) -> list[Task]:
    tasks = []
    for key, title in STEPS.items():
        compute = _registry.get(key)
        status = (
            compute(country) if compute else StepStatus(CANNOT_START, "This part of the portal is not available yet.")
        )
        tasks.append(Task(key, title, status.state, STATES[status.state], status.detail, status.url))
    return tasks
