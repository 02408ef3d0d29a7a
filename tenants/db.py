"""PostgreSQL pieces of the isolation model: row-level security, composite foreign keys, the
runtime role and its grants. Every operation is a no-op on SQLite (the embedded demo mode)."""

from __future__ import annotations

import logging
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.db import DatabaseError, migrations
from django.db import connection as default_connection

log = logging.getLogger(__name__)

# One function decides which countries a transaction may see; every policy calls it. The two
# settings are transaction-local (set_config(..., true)); with neither set, the array is empty.
ALLOWED_COUNTRIES_FUNCTION = r"""
CREATE OR REPLACE FUNCTION portal_allowed_country_ids() RETURNS bigint[]
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT COALESCE(
        string_to_array(
            NULLIF(concat_ws(',',
                NULLIF(current_setting('portal.country_id', true), ''),
                NULLIF(current_setting('portal.country_ids', true), '')), ''),
            ',')::bigint[],
        ARRAY[]::bigint[])
$$;
"""

# The one deliberate window through row-level security: which countries is a person a member
# of? Needed before any country context exists (to decide which one to open). It returns ids
# and roles of the asking person only, and runs with its owner's rights.
MEMBERSHIPS_FUNCTION = r"""
CREATE OR REPLACE FUNCTION portal_memberships_of(p_user_id bigint)
RETURNS TABLE (country_id bigint, organisation_id bigint, role varchar, status varchar)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT m.country_id, m.organisation_id, m.role, m.status
    FROM tenants_membership m WHERE m.user_id = p_user_id
$$;
REVOKE ALL ON FUNCTION portal_memberships_of(bigint) FROM PUBLIC;
"""


# The chains refuse UPDATE and DELETE, with one exception: the displayed name of an actor
# (actor_label), which no hash covers, may be replaced when that person is erased, and only from
# inside portal_ledger_relabel() (which sets the transaction-local flag for its own statement).
REFUSE_CHANGE_FUNCTION = r"""
CREATE OR REPLACE FUNCTION portal_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND current_setting('portal.relabel', true) = 'on'
       AND (to_jsonb(NEW) - 'actor_label') = (to_jsonb(OLD) - 'actor_label') THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'the event chain is append-only: % on % is refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END
$$;
"""

# Replace an erased person's displayed name on a country's chain (p_country_id) or on the
# platform's (NULL) by the name of the closed or pseudonymous account that now stands for them.
# The runtime role holds no UPDATE on the chains: this is its only way to change a label, only to
# an existing inactive account's name of the form erased-<hex>, and, on a country's chain, only
# inside that country's context.
LEDGER_RELABEL_FUNCTION = r"""
CREATE OR REPLACE FUNCTION portal_ledger_relabel(p_country_id bigint, p_actor_id bigint, p_label varchar)
RETURNS integer LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    changed integer;
BEGIN
    IF p_label !~ '^erased-[0-9a-f]{8,32}$'
       OR NOT EXISTS (SELECT 1 FROM auth_user u WHERE u.username = p_label AND NOT u.is_active) THEN
        RAISE EXCEPTION 'a name on the record may only be replaced by an erased person''s pseudonym'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF p_country_id IS NOT NULL AND NOT (p_country_id = ANY (portal_allowed_country_ids())) THEN
        RAISE EXCEPTION 'country % is not in this transaction''s scope', p_country_id
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    PERFORM set_config('portal.relabel', 'on', true);
    IF p_country_id IS NULL THEN
        UPDATE tenants_platformevent SET actor_label = p_label
        WHERE actor_id = p_actor_id AND actor_label <> p_label;
    ELSE
        UPDATE tenants_countryevent SET actor_label = p_label
        WHERE country_id = p_country_id AND actor_id = p_actor_id AND actor_label <> p_label;
    END IF;
    GET DIAGNOSTICS changed = ROW_COUNT;
    PERFORM set_config('portal.relabel', '', true);
    RETURN changed;
END
$$;
REVOKE ALL ON FUNCTION portal_ledger_relabel(bigint, bigint, varchar) FROM PUBLIC;
"""
RELABEL_SIGNATURE = "portal_ledger_relabel(bigint, bigint, varchar)"
# The chaining of committed events (tenants 0025): the runtime role's only way to give an event its place.
CHAIN_COMMITTED_SIGNATURE = "portal_chain_committed(bigint)"


def _is_postgres(schema_editor) -> bool:
    return schema_editor.connection.vendor == "postgresql"


class RunPostgresSQL(migrations.RunSQL):
    """RunSQL that does nothing on other databases."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if _is_postgres(schema_editor):
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if _is_postgres(schema_editor):
            super().database_backwards(app_label, schema_editor, from_state, to_state)


def enable_row_level_security(table: str) -> RunPostgresSQL:
    """ENABLE and FORCE row-level security on a tenant table, with the country policy."""
    return RunPostgresSQL(
        sql=[
            f'ALTER TABLE "{table}" ENABLE ROW LEVEL SECURITY',
            f'ALTER TABLE "{table}" FORCE ROW LEVEL SECURITY',
            f'CREATE POLICY country_isolation ON "{table}" '
            f"USING (country_id = ANY (portal_allowed_country_ids())) "
            f"WITH CHECK (country_id = ANY (portal_allowed_country_ids()))",
        ],
        reverse_sql=[
            f'DROP POLICY IF EXISTS country_isolation ON "{table}"',
            f'ALTER TABLE "{table}" NO FORCE ROW LEVEL SECURITY',
            f'ALTER TABLE "{table}" DISABLE ROW LEVEL SECURITY',
        ],
    )


# The public reading mode (tenants.isolation.public_country_context) names one country here and
# nothing in the two settings above, so that no ordinary policy admits a row.
PUBLIC_COUNTRY_FUNCTION = r"""
CREATE OR REPLACE FUNCTION portal_public_country_id() RETURNS bigint
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT NULLIF(current_setting('portal.public_country_id', true), '')::bigint
$$;
"""


def public_rows(table: str, condition: str) -> RunPostgresSQL:
    """A second, read-only policy on a tenant table that holds published material: in the public
    reading mode it admits the rows of the public country that meet `condition` (SQL over the
    table's own columns, e.g. "status IN ('published')"), and nothing else. The table keeps its
    country policy for every other transaction."""
    return RunPostgresSQL(
        sql=[
            PUBLIC_COUNTRY_FUNCTION,
            f'CREATE POLICY public_rows ON "{table}" FOR SELECT '
            f"USING (country_id = portal_public_country_id() AND ({condition}))",
        ],
        reverse_sql=[f'DROP POLICY IF EXISTS public_rows ON "{table}"'],
    )


def same_country_foreign_key(table: str, column: str, parent_table: str) -> RunPostgresSQL:
    """A composite foreign key (column, country_id) → parent (id, country_id): a row can never
    point at a parent row of another country, whatever the application does."""
    name = f"{table}_{column}_same_country_fk"[:63]
    return RunPostgresSQL(
        sql=f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" FOREIGN KEY ("{column}", "country_id") '
        f'REFERENCES "{parent_table}" ("id", "country_id") DEFERRABLE INITIALLY DEFERRED',
        reverse_sql=f'ALTER TABLE "{table}" DROP CONSTRAINT IF EXISTS "{name}"',
    )


def runtime_role_name() -> str:
    url = getattr(settings, "APP_DATABASE_URL", "")
    return unquote(urlsplit(url).username or settings.APP_DB_USER_DEFAULT) if url else settings.APP_DB_USER_DEFAULT


def runtime_role_password() -> str | None:
    url = getattr(settings, "APP_DATABASE_URL", "")
    password = urlsplit(url).password if url else None
    return unquote(password) if password else None


# Tables the runtime role may read and append to but never change or remove rows from.
APPEND_ONLY_TABLES: list[str] = [
    "tenants_countryevent",
    "tenants_platformevent",
    "tenants_countrycheckpoint",
    "tenants_platformcheckpoint",
]


def _create_role(connection, role: str) -> None:
    """CREATE ROLE, which another process migrating another database of the same server (parallel
    test workers, two deployments) may have just done: roles belong to the server, not a database.
    Inside a transaction, a savepoint keeps it usable after that refusal."""
    savepoint = connection.savepoint()  # None in autocommit
    try:
        with connection.cursor() as cursor:
            qn = connection.ops.quote_name
            cursor.execute(f"CREATE ROLE {qn(role)} LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE NOINHERIT")
    except DatabaseError as error:
        if savepoint:
            connection.savepoint_rollback(savepoint)
        # duplicate_object, or unique_violation when the two CREATE ROLE ran at the same moment
        if getattr(error.__cause__, "pgcode", None) not in ("42710", "23505"):
            raise
        log.info("The runtime database role %s was created by another process", role)
    else:
        if savepoint:
            connection.savepoint_commit(savepoint)
        log.info("Created the runtime database role %s", role)


def ensure_runtime_role(connection=default_connection, *, extra_grants: str = "") -> str:
    """Create the runtime role if missing (login, no superuser, no BYPASSRLS, owns nothing) and
    grant it what the portal needs on this database. Runs as the owning role after migrate."""
    if connection.vendor != "postgresql":
        return ""
    role = runtime_role_name()
    password = runtime_role_password()
    qn = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        if cursor.fetchone()[0] == role:
            return role  # already running as the runtime role (e.g. a test flush): nothing to grant
        cursor.execute("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = %s", [role])
        row = cursor.fetchone()
        if row is None:
            _create_role(connection, role)
        elif row[0] or row[1]:
            raise RuntimeError(
                f"The runtime role {role} is a superuser or has BYPASSRLS: row-level security would not "
                "apply to it. Use a plain role for APP_DATABASE_URL."
            )
        if password:
            cursor.execute(f"ALTER ROLE {qn(role)} PASSWORD %s", [password])
        cursor.execute("SELECT current_database()")
        database = cursor.fetchone()[0]
        cursor.execute(f"GRANT CONNECT, TEMPORARY ON DATABASE {qn(database)} TO {qn(role)}")
        cursor.execute(f"GRANT USAGE ON SCHEMA public TO {qn(role)}")
        cursor.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {qn(role)}")
        cursor.execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {qn(role)}")
        cursor.execute(f"GRANT EXECUTE ON FUNCTION portal_memberships_of(bigint) TO {qn(role)}")
        for signature in (RELABEL_SIGNATURE, CHAIN_COMMITTED_SIGNATURE):
            cursor.execute("SELECT to_regprocedure(%s)", [signature])
            if cursor.fetchone()[0] is not None:  # once the migration that makes it has run
                cursor.execute(f"GRANT EXECUTE ON FUNCTION {signature} TO {qn(role)}")
        for table in APPEND_ONLY_TABLES:
            cursor.execute(f"REVOKE UPDATE, DELETE, TRUNCATE ON {qn(table)} FROM {qn(role)}")
        if extra_grants:
            cursor.execute(extra_grants.format(role=qn(role)))
    return role


def every_country_open(apps, schema_editor) -> None:
    """In a data migration: let the rest of its transaction see every country's rows (the tables
    are row-level secured, for their owner too)."""
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    ids = ",".join(str(pk) for pk in apps.get_model("tenants", "Country").objects.values_list("pk", flat=True))
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('portal.country_ids', %s, true)", [ids])
