"""The charts of a country's overview page (/c/<code>/). Their figures belong to the apps above
tenants, which it cannot ask; the composition root (portal) registers, from its AppConfig.ready(),
the figures it needs as expressions (read with the onboarding steps and the overview's counts, in
one query: tenants.onboarding) and the function that draws the charts from their values and from
the facts each step decided from:

    from tenants import dashboard
    dashboard.register(
        facts=lambda country: {"incidents_open": CountOf(...)},
        charts=lambda country, values, steps: [...],   # a list of tenants.charts.Chart
    )

With nothing registered the overview shows no chart, never made-up figures."""

from __future__ import annotations

from collections.abc import Callable

from django.db.models import Expression

PREFIX = "chart_"  # the charts' facts, named apart from the page's own in the one query

_provider: list[tuple[Callable[[object], dict[str, Expression]], Callable[[object, dict, dict], list]]] = []


def register(*, facts: Callable[[object], dict[str, Expression]], charts: Callable[[object, dict, dict], list]) -> None:
    _provider[:] = [(facts, charts)]


def chart_facts(country) -> dict[str, Expression]:
    """The expressions the charts of `country` need, to be read with the page's other facts."""
    return {f"{PREFIX}{name}": expression for name, expression in _provider[0][0](country).items()} if _provider else {}


def country_charts(country, values: dict, tasks: list) -> list:
    """The charts of `country`, from the values of `chart_facts` (among the page's) and the task
    list (each step's facts), in its country context (the page's)."""
    if not _provider:
        return []
    mine = {name[len(PREFIX) :]: value for name, value in values.items() if name.startswith(PREFIX)}
    return _provider[0][1](country, mine, {task.key: task.facts for task in tasks})
