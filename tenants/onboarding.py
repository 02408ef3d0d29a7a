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

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

# key -> title, in the order a country goes through them.
STEPS: dict[str, str] = {
    "engagement": gettext_lazy("Engagement approved"),
    "policies": gettext_lazy("Policies adopted"),
    "training": gettext_lazy("Staff trained"),
    "assessment": gettext_lazy("First impact assessment"),
    "deployment": gettext_lazy("First deployment"),
}

CANNOT_START = "cannot_start"
NOT_STARTED = "not_started"
IN_PROGRESS = "in_progress"
DONE = "done"
STATES = {
    CANNOT_START: gettext_lazy("Cannot start yet"),
    NOT_STARTED: gettext_lazy("Not started"),
    IN_PROGRESS: gettext_lazy("In progress"),
    DONE: gettext_lazy("Completed"),
}


@dataclass(frozen=True)
class StepStatus:
    state: str
    detail: str = ""  # one short sentence: what is done, or what to do next
    url: str = ""  # where to act on it, for this country

    def __post_init__(self) -> None:
        if self.state not in STATES:
            raise ValueError(_("unknown step state {state!r}").format(state=self.state))


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
        raise ValueError(
            _("unknown onboarding step {key!r}; the steps are {steps}").format(key=key, steps=", ".join(STEPS))
        )
    _registry[key] = status


def task_list(country) -> list[Task]:
    tasks = []
    for key, title in STEPS.items():
        compute = _registry.get(key)
        status = (
            compute(country)
            if compute
            else StepStatus(CANNOT_START, _("This part of the portal is not available yet."))
        )
        tasks.append(Task(key, title, status.state, STATES[status.state], status.detail, status.url))
    return tasks
