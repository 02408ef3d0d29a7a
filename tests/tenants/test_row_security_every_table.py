"""Row-level security by behaviour on every country table, generated from the models (DESIGN §4).

For each model with a country, in one transaction of the owning role that is rolled back at the end:
a row is written in France and one in Kenya (foreign keys are not checked: `session_replication_role
= replica`, so any table can be filled without its parents), then the transaction becomes the
runtime role, and reads the table with no ORM in between: one country's setting admits that
country's row only, the two-country setting both, and no setting none."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from urllib.parse import unquote, urlsplit

import pytest
from django.db import connection, models

from tenants.models import Country
from tests.tenants.test_isolation import country_owned_models


def _owner_connection():
    import psycopg2
    from django.conf import settings

    url = urlsplit(settings.DATABASE_URL)
    return psycopg2.connect(
        host=url.hostname or "127.0.0.1",
        port=url.port or 5432,
        user=unquote(url.username or "postgres"),
        password=unquote(url.password or ""),
        dbname=connection.settings_dict["NAME"],
    )


# Columns a table's checks want in a shape the generic values do not give.
GIVEN = {
    "training.Enrolment": {"programme": 1, "version": 1, "local_programme": None, "local_version": None},
    "training.Certificate": {"programme": 1, "version": 1, "local_programme": None, "local_version": None},
}


def _value(field: models.Field, n: int):
    """A value the column accepts; foreign keys point anywhere (they are not checked here)."""
    if isinstance(field, models.ForeignKey):
        return n
    if field.has_default() and not callable(field.default) and field.default is not None:
        return json.dumps(field.default) if isinstance(field, models.JSONField) else field.default
    if field.choices:
        return field.choices[0][0]
    if isinstance(field, models.JSONField):
        return json.dumps({} if field.default is dict else [])
    if isinstance(field, (models.DateTimeField, models.DateField)):
        return datetime.now(UTC)
    if isinstance(field, models.BooleanField):
        return False
    if isinstance(field, (models.IntegerField, models.FloatField, models.DecimalField)):
        return n
    if isinstance(field, models.BinaryField):
        return b"\x00"
    if isinstance(field, models.UUIDField):
        import uuid

        return str(uuid.uuid4())
    if isinstance(field, models.GenericIPAddressField):
        return "192.0.2.1"
    return f"rls-{n}"[: field.max_length or 64]


def _insert(cursor, model, n: int, **given) -> int:
    columns, values = [], []
    for field in model._meta.concrete_fields:
        if field.primary_key and isinstance(field, models.AutoField | models.BigAutoField):
            continue
        columns.append(connection.ops.quote_name(field.column))
        if field.name in given:
            values.append(given[field.name])
        else:
            values.append(None if field.null else _value(field, n))
    table = connection.ops.quote_name(model._meta.db_table)
    pk = connection.ops.quote_name(model._meta.pk.column)
    cursor.execute(
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join(['%s'] * len(values))}) RETURNING {pk}", values
    )
    return cursor.fetchone()[0]


@pytest.fixture
def owner(db):
    conn = _owner_connection()
    yield conn
    conn.close()


def _seen(cursor, table: str, *, single: str = "", several: str = "") -> list[int]:
    cursor.execute(
        "SELECT set_config('portal.country_id', %s, true), set_config('portal.country_ids', %s, true), "
        "set_config('portal.public_country_id', '', true)",
        [single, several],
    )
    cursor.execute(f"SELECT DISTINCT country_id FROM {table} ORDER BY 1")
    return [row[0] for row in cursor.fetchall()]


@pytest.mark.parametrize("model", country_owned_models(), ids=lambda m: m._meta.label)
def test_row_level_security_admits_only_the_countrys_rows(owner, model):
    from tenants.db import runtime_role_name

    table = connection.ops.quote_name(model._meta.db_table)
    try:
        with owner.cursor() as cursor:
            cursor.execute("SET LOCAL session_replication_role = replica")
            fr = _insert(cursor, Country, 1, code="XF", name="Xfrance")
            ke = _insert(cursor, Country, 2, code="XK", name="Xkenya")
            given = GIVEN.get(model._meta.label, {})
            _insert(cursor, model, 1, country=fr, **given)
            _insert(cursor, model, 2, country=ke, **given)
            cursor.execute(f"SET LOCAL ROLE {connection.ops.quote_name(runtime_role_name())}")
            assert _seen(cursor, table, single=str(fr)) == [fr]
            assert _seen(cursor, table, single=str(ke)) == [ke]
            assert _seen(cursor, table, several=f"{fr},{ke}") == [fr, ke]
            assert _seen(cursor, table) == []
    finally:
        owner.rollback()
