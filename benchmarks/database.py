"""The benchmarks' own database: created and migrated as the owning role, then measured through the
runtime role (row-level security on the measured path, as in production)."""

from __future__ import annotations

import os


def setup_django(database: str) -> None:
    os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/portal")
    base = os.environ["DATABASE_URL"].rsplit("/", 1)[0]
    os.environ["DATABASE_URL"] = f"{base}/{database}"
    os.environ.pop("APP_DATABASE_URL", None)
    os.environ["PORTAL_DB_ROLE"] = "owner"
    os.environ.setdefault("PORTAL_TESTING", "1")  # development keys, no mail
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    import psycopg2

    admin = psycopg2.connect(f"{base}/postgres")
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [database])
        if cursor.fetchone() is None:
            cursor.execute(f'CREATE DATABASE "{database}"')
    admin.close()
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def as_runtime_role() -> None:
    from django.db import connection

    from tenants.db import runtime_role_name

    connection.close()
    connection.settings_dict["USER"] = runtime_role_name()
    connection.settings_dict["PASSWORD"] = ""


def as_owner(owner: str) -> None:
    from django.db import connection

    connection.close()
    connection.settings_dict["USER"] = owner
