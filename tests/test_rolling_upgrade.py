"""Migrations keep the release before them working during a rolling upgrade: the old web and workers
go on inserting rows without the columns they do not know, so every NOT NULL column added (or made
NOT NULL) after the first release must end with a default in the database (`db_default`), not only
in Python. The first release is the one the upgrade test starts from (tests/test_upgrade.py)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from django.db import migrations, models
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.state import ProjectState

from tests.test_upgrade import BEFORE_THE_MOVE

ROOT = Path(__file__).resolve().parent.parent
APPS = {"portal", "gateway", "deployments", "engagements", "governance", "training", "tenants"}


def first_release_migrations() -> set[tuple[str, str]]:
    try:
        listing = subprocess.run(
            ["git", "ls-tree", "-r", "--name-only", BEFORE_THE_MOVE],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        ).stdout
    except (FileNotFoundError, subprocess.CalledProcessError) as error:
        pytest.fail(f"the first release {BEFORE_THE_MOVE} is not in this checkout's history ({error})")
    found = set()
    for path in listing.split():
        parts = Path(path).parts
        if len(parts) == 3 and parts[1] == "migrations" and parts[2][:1].isdigit() and parts[2].endswith(".py"):
            found.add((parts[0], parts[2].removesuffix(".py")))
    assert found, f"no migration in {BEFORE_THE_MOVE}"
    return found


def in_order(loader: MigrationLoader) -> list[tuple[tuple[str, str], migrations.Migration]]:
    plan: dict[tuple[str, str], None] = {}
    for leaf in sorted(loader.graph.leaf_nodes()):
        plan.update(dict.fromkeys(loader.graph.forwards_plan(leaf)))
    return [(node, loader.graph.nodes[node]) for node in plan]


def _without_db_default(field: models.Field) -> bool:
    return not field.null and not field.many_to_many and field.db_default is models.NOT_PROVIDED


def columns_without_db_default(
    plan: list[tuple[tuple[str, str], migrations.Migration]], first_release: set[tuple[str, str]]
) -> list[str]:
    """The columns an earlier release cannot insert without: added NOT NULL (to a table that existed
    before the migration), or turned NOT NULL or stripped of their default, after the first release,
    and still without a database default once every migration has run."""
    state = ProjectState()
    suspects: dict[tuple[str, str, str], str] = {}
    for (app, name), migration in plan:
        created = {op.name_lower for op in migration.operations if isinstance(op, migrations.CreateModel)}
        for op in migration.operations:
            watched = app in APPS and (app, name) not in first_release
            if (
                watched
                and isinstance(op, (migrations.AddField, migrations.AlterField))
                and _without_db_default(op.field)
            ):
                if isinstance(op, migrations.AddField):
                    newly = op.model_name_lower not in created
                else:
                    newly = not _without_db_default(state.models[app, op.model_name_lower].fields[op.name])
                if newly:
                    suspects[(app, op.model_name_lower, op.name)] = f"{app}.{name}"
            op.state_forwards(app, state)
    found = []
    for (app, model, field_name), where in sorted(suspects.items()):
        model_state = state.models.get((app, model))
        if model_state is None or field_name not in model_state.fields:
            continue
        if _without_db_default(model_state.fields[field_name]):
            found.append(f"{app}.{model}.{field_name} (NOT NULL since {where})")
    return found


def test_every_column_added_since_the_first_release_has_a_database_default():
    loader = MigrationLoader(None, ignore_no_migrations=True)
    missing = columns_without_db_default(in_order(loader), first_release_migrations())
    assert missing == [], (
        "the release before would fail to insert a row without these columns during a rolling "
        "upgrade: give each a db_default in a new migration"
    )


def test_a_column_added_without_a_database_default_is_found():
    """The check itself, over the real migrations and one more that adds a NOT NULL column with a
    Python default only (the mistake), then one that gives it a database default (the repair)."""
    loader = MigrationLoader(None, ignore_no_migrations=True)
    plan = in_order(loader)
    first_release = first_release_migrations()
    mistake = migrations.Migration("9998_mistake", "tenants")
    mistake.operations = [
        migrations.AddField("country", "motto", models.CharField(max_length=20, blank=True, default="")),
        migrations.AddField("country", "note", models.TextField(null=True)),
    ]
    assert columns_without_db_default([*plan, (("tenants", "9998_mistake"), mistake)], first_release) == [
        "tenants.country.motto (NOT NULL since tenants.9998_mistake)"
    ]
    stripped = migrations.Migration("9998_stripped", "tenants")
    stripped.operations = [migrations.AlterField("country", "key_epoch", models.PositiveIntegerField(default=0))]
    assert columns_without_db_default([*plan, (("tenants", "9998_stripped"), stripped)], first_release) == [
        "tenants.country.key_epoch (NOT NULL since tenants.9998_stripped)"
    ]
    repair = migrations.Migration("9999_repair", "tenants")
    repair.operations = [
        migrations.AlterField("country", "motto", models.CharField(max_length=20, blank=True, db_default=""))
    ]
    plan += [(("tenants", "9998_mistake"), mistake), (("tenants", "9999_repair"), repair)]
    assert columns_without_db_default(plan, first_release) == []
