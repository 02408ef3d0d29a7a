"""The charts of a country's overview page (/c/<code>/). Their figures belong to the apps above
tenants, which it cannot ask; the composition root (portal) registers the one function that draws
them, from its AppConfig.ready():

    from tenants import dashboard
    dashboard.register(charts=lambda country: [...])   # a list of tenants.charts.Chart

With nothing registered the overview shows no chart, never made-up figures."""

from __future__ import annotations

from collections.abc import Callable

_provider: list[Callable[[object], list]] = []


def register(*, charts: Callable[[object], list]) -> None:
    _provider[:] = [charts]


def country_charts(country) -> list:
    """The charts of `country`, computed in its country context (the page's)."""
    return _provider[0](country) if _provider else []
