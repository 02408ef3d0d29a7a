"""What waits for the person reading a country's overview: their own to-do list (policies they
have to acknowledge, courses they have not finished, requests sent back to them, and for a partner
manager what waits for their decision), next to the country's onboarding steps.

As with the onboarding steps (tenants/onboarding.py), the apps above tenants register their items
from AppConfig.ready(): `facts(country, user, role)` gives expressions over the app's own tables,
read with the overview's other facts in its one query; `decide(country, values)` turns their
values into the items to show (none when nothing waits)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import Expression


@dataclass(frozen=True)
class Todo:
    key: str
    text: str  # one sentence, in the reader's language: what waits, and how much
    url: str  # where it is done


Facts = Callable[[object, object, str], dict[str, Expression]]
Decide = Callable[[object, dict], list[Todo]]

_items: dict[str, tuple[Facts, Decide]] = {}


def register(key: str, *, facts: Facts, decide: Decide) -> None:
    """Give item `key` its facts (`facts(country, user, role)`: name -> expression, {} when the
    item does not apply to this role) and how to decide from their values."""
    _items[key] = (facts, decide)


def todo_facts(country, user, role: str | None) -> dict[str, Expression]:
    """Every registered item's facts for this reader, named `todo_{key}_{name}`, for the caller to
    read with its own facts in one query."""
    wanted: dict[str, Expression] = {}
    if role is None:
        return wanted
    for key, (facts, _decide) in _items.items():
        for name, expression in facts(country, user, role).items():
            wanted[f"todo_{key}_{name}"] = expression
    return wanted


def todo_list(country, values: dict) -> list[Todo]:
    """The items the values of todo_facts call for, in the order they were registered."""
    found: list[Todo] = []
    for key, (_facts, decide) in _items.items():
        prefix = f"todo_{key}_"
        mine = {name[len(prefix) :]: value for name, value in values.items() if name.startswith(prefix)}
        if mine:
            found.extend(decide(country, mine))
    return found
