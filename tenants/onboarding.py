"""The onboarding task list of a country (the GOV.UK "task list" pattern): five steps in a fixed
order, each with a status computed from the data by the app that owns it.

tenants sits at the bottom of the layers and cannot ask the apps above it, so they register their
step here, from their AppConfig.ready(), as the facts it needs (expressions the database computes:
counts and EXISTS over the app's own tables) and how it decides from their values:

    from tenants.onboarding import StepStatus, register
    register(
        "policies",
        facts=lambda country: {"published": Exists(...)},
        decide=lambda country, facts: StepStatus("done" if facts["published"] else "not_started"),
    )

The facts of every step are read together, in one query, however many steps and whatever the size
of the country's data (`task_list`). A step may instead give `status(country)`, which runs its own
queries. A step no app has registered yet is shown as not available, never as done."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.db.models import Expression, IntegerField, QuerySet, Subquery
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tenants.isolation import reading_context
from tenants.models import Country

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
    facts: dict = field(default_factory=dict, compare=False)  # the values the step decided from

    @property
    def done(self) -> bool:
        return self.state == DONE


class CountOf(Subquery):
    """The number of rows of a queryset, as an expression another query can hold (a scalar
    subquery): `CountOf(Enrolment.objects.filter(country=country))`; with `fields`, the number of
    their distinct combinations (`fields=("user_id", "version_id")`: each person × version once)."""

    template = "(SELECT COUNT(*) FROM (%(subquery)s) counted)"
    output_field = IntegerField()

    def __init__(self, queryset: QuerySet, *, fields: tuple[str, ...] = (), **extra) -> None:
        rows = queryset.order_by().values(*fields).distinct() if fields else queryset.order_by().values("pk")
        super().__init__(rows, **extra)


Facts = Callable[[object], dict[str, Expression]]
Decide = Callable[[object, dict], StepStatus]

_registry: dict[str, Callable[[object], StepStatus]] = {}
_facts: dict[str, tuple[Facts, Decide]] = {}


def register(
    key: str,
    *,
    status: Callable[[object], StepStatus] | None = None,
    facts: Facts | None = None,
    decide: Decide | None = None,
) -> None:
    """Give step `key` how to compute its status: `facts(country)` (name -> expression, evaluated
    inside the country's context) and `decide(country, values)`; or `status(country)`."""
    if key not in STEPS:
        raise ValueError(
            _("unknown onboarding step {key!r}; the steps are {steps}").format(key=key, steps=", ".join(STEPS))
        )
    if (facts is None) != (decide is None) or (facts is None) == (status is None):
        raise ValueError(_("a step gives either facts and decide, or status"))
    _facts.pop(key, None)
    if facts is not None:
        _facts[key] = (facts, decide)
        _registry[key] = lambda country: step_status(key, country)
    else:
        _registry[key] = status


def read_facts(country, facts: dict[str, Expression]) -> dict:
    """The values of `facts` for `country`, in one query (none when there are no facts), read in
    the scope the caller is in."""
    if not facts:
        return {}
    return dict(Country.objects.filter(pk=getattr(country, "pk", country)).values(**facts).get())


def step_status(key: str, country) -> StepStatus:
    """The status of one step registered with facts (one query), in the country's context."""
    facts, decide = _facts[key]
    with reading_context(country):
        return decide(country, read_facts(country, facts(country)))


def task_list_and_facts(country, facts: dict[str, Expression] | None = None) -> tuple[list[Task], dict]:
    """The task list, and the values of the caller's own `facts`, all read in one query (plus the
    queries of steps registered with a `status` function), in the country's context (the
    caller's own when it is already that one)."""
    wanted = dict(facts or {})
    names: dict[str, dict[str, str]] = {}  # step -> its fact's name -> the name in the query
    with reading_context(country):
        for key, (step_facts, _decide) in _facts.items():
            for name, expression in step_facts(country).items():
                names.setdefault(key, {})[name] = alias = f"step_{key}_{name}"
                wanted[alias] = expression
        values = read_facts(country, wanted)
    tasks = []
    for key, title in STEPS.items():
        step_values = {name: values[alias] for name, alias in names.get(key, {}).items()}
        if key in _facts:
            status = _facts[key][1](country, step_values)
        elif key in _registry:
            status = _registry[key](country)
        else:
            status = StepStatus(CANNOT_START, _("This part of the portal is not available yet."))
        tasks.append(Task(key, title, status.state, STATES[status.state], status.detail, status.url, step_values))
    return tasks, {name: values[name] for name in facts or {}}


def task_list(country) -> list[Task]:
    return task_list_and_facts(country)[0]
