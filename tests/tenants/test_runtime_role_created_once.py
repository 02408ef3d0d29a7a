"""The runtime role belongs to the server, not to a database: two processes migrating two databases
of one server at once (the suite's parallel workers, two deployments) may both find it missing and
both create it. The one that comes second takes the refusal as done; any other refusal is raised."""

from __future__ import annotations

import os

import dj_database_url
import pytest
from django.db import DatabaseError, connection
from django.db.backends.postgresql.base import DatabaseWrapper

from tenants.db import _create_role, runtime_role_name

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="roles are PostgreSQL's")


def _roles_named(cursor, name: str) -> int:
    cursor.execute("SELECT count(*) FROM pg_roles WHERE rolname = %s", [name])
    return cursor.fetchone()[0]


def test_a_role_another_process_just_created_is_taken_as_created(db):
    params = dj_database_url.parse(os.environ["DATABASE_URL"])
    owner = DatabaseWrapper({**connection.settings_dict, "USER": params["USER"], "PASSWORD": params["PASSWORD"] or ""})
    try:
        with owner.cursor() as cursor:
            assert _roles_named(cursor, runtime_role_name()) == 1  # the suite's own connections use it
        _create_role(owner, runtime_role_name())
        with owner.cursor() as cursor:
            assert _roles_named(cursor, runtime_role_name()) == 1
    finally:
        owner.close()


def test_another_refusal_is_raised_and_the_transaction_stays_usable(db):
    """The suite's connection is the runtime role, which may not create roles: that refusal is not
    a role already there. The savepoint leaves the test's transaction usable."""
    with pytest.raises(DatabaseError, match="permission denied"):
        _create_role(connection, "portal_never_created")
    with connection.cursor() as cursor:
        assert _roles_named(cursor, "portal_never_created") == 0
