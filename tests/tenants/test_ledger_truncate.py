"""TRUNCATE, which row triggers do not see, is refused on the chains too — for the owner as well."""

import psycopg2
import pytest
from django.db import connection, transaction
from django.db.utils import DatabaseError

CHAINS = ["tenants_countryevent", "tenants_platformevent", "tenants_countrycheckpoint", "tenants_platformcheckpoint"]


@pytest.mark.parametrize("table", CHAINS)
def test_truncate_is_refused_to_the_runtime_role_outside_the_test_switch(cast, table):
    with pytest.raises(DatabaseError, match="append-only|permission denied"):
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL portal.allow_truncate = 'off'")
                cursor.execute(f"TRUNCATE {table}")


@pytest.mark.parametrize("table", CHAINS)
def test_truncate_is_refused_to_the_owner(cast, table):
    settings_dict = connection.settings_dict
    owner = psycopg2.connect(
        dbname=settings_dict["NAME"],
        user="postgres",
        host=settings_dict["HOST"] or "127.0.0.1",
        port=settings_dict["PORT"] or 5432,
    )
    try:
        with owner.cursor() as cursor, pytest.raises(psycopg2.Error, match="append-only"):
            cursor.execute(f"TRUNCATE {table}")
    finally:
        owner.rollback()
        owner.close()
