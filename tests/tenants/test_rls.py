"""Layer 3 of isolation (DESIGN §4): PostgreSQL itself, reached with raw SQL through the runtime
role, admits only the rows of the transaction's countries, refuses writes into other countries and
cross-country parent references, and every tenant table is covered."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import psycopg2
import pytest
from django.contrib.auth import get_user_model
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.utils import timezone

from tenants.db import runtime_role_name
from tenants.isolation import country_context
from tenants.models import Invitation, Membership
from tenants.record.ledger import event_record

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="row-level security is PostgreSQL's")

TENANT_TABLES = ["tenants_organisation", "tenants_membership", "tenants_invitation", "tenants_countryevent"]
# SECURITY DEFINER functions the runtime role may call: each is a deliberate window through
# row-level security and must be reviewed as such.
# Reviewed windows: the membership lookup, the relabelling of an erased person on the record, and
# the chaining of committed events (only inside the chain's country's scope; it changes nothing but
# an unchained event's place and hashes, and answers a count: test_ledger_at_commit).
ALLOWED_DEFINER_FUNCTIONS = {"portal_memberships_of", "portal_ledger_relabel", "portal_chain_committed"}


@pytest.fixture
def world(cast):
    """The cast plus an invitation and an event in each of FR and KE: a row in every tenant table."""
    User = get_user_model()
    for country, organisation, name in ((cast.fr, cast.fr_agency, "fr-guest"), (cast.ke, cast.ke_ministry, "ke-guest")):
        guest = User.objects.create(username=name, email=f"{name}@example.org", is_active=False)
        with country_context(country):
            membership = Membership.objects.create(
                country=country, user=guest, organisation=organisation, role="viewer", status="invited"
            )
            Invitation.objects.create(
                country=country, membership=membership, nonce="n" * 32, expires_at=timezone.now() + timedelta(days=7)
            )
        event_record(country=country, action="test.recorded")
    return cast


def scope(cursor, *, country_id: object = "", country_ids: object = "") -> None:
    cursor.execute(
        "SELECT set_config('portal.country_id', %s, true), set_config('portal.country_ids', %s, true)",
        [str(country_id), str(country_ids)],
    )


def one(cursor, sql: str, params=()) -> object:
    cursor.execute(sql, params)
    return cursor.fetchone()[0]


def clone_row(cursor, table: str, source_id: int, **overrides) -> None:
    """INSERT a copy of one row with some columns replaced: every other column keeps a valid value
    whatever columns the table gains later."""
    cursor.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = 'public' AND table_name = %s "
        "AND column_name <> 'id' ORDER BY ordinal_position",
        [table],
    )
    columns = [row[0] for row in cursor.fetchall()]
    assert set(overrides) <= set(columns)
    column_list = ", ".join(f'"{c}"' for c in columns)
    selected = ", ".join("%s" if c in overrides else f'"{c}"' for c in columns)
    params = [overrides[c] for c in columns if c in overrides] + [source_id]
    cursor.execute(f'INSERT INTO "{table}" ({column_list}) SELECT {selected} FROM "{table}" WHERE id = %s', params)
    assert cursor.rowcount == 1, f"the row to copy ({table} {source_id}) is not visible"


def countries_in(cursor, table: str) -> set[int]:
    cursor.execute(f'SELECT DISTINCT country_id FROM "{table}"')
    return {row[0] for row in cursor.fetchall()}


# --- The runtime role -------------------------------------------------------------------------------


def test_queries_run_as_the_runtime_role(db):
    with connection.cursor() as cursor:
        assert one(cursor, "SELECT current_user") == runtime_role_name() == "portal_app"
        assert one(cursor, "SELECT session_user") == "portal_app"


def test_the_runtime_role_cannot_bypass_row_level_security(db):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT rolsuper, rolbypassrls, rolcreaterole, rolcreatedb FROM pg_roles WHERE rolname = current_user"
        )
        assert cursor.fetchone() == (False, False, False, False)
        # It owns no table in the schema, and is not a member of any role that does.
        cursor.execute(
            "SELECT c.relname, pg_get_userbyid(c.relowner) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') "
            "AND (c.relowner = (SELECT oid FROM pg_roles WHERE rolname = current_user) "
            "     OR pg_has_role(current_user, c.relowner, 'USAGE'))"
        )
        assert cursor.fetchall() == []
        # It cannot create objects in the schema (which it would then own, outside every policy),
        # nor switch row security off for itself.
        assert one(cursor, "SELECT has_schema_privilege('public', 'CREATE')") is False
        with pytest.raises(DatabaseError), transaction.atomic():
            cursor.execute("SET LOCAL row_security = off")
            cursor.execute("SELECT count(*) FROM tenants_organisation")


# --- Reads ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("table", TENANT_TABLES)
def test_one_country_setting_shows_only_that_country(world, table):
    with connection.cursor() as cursor:
        scope(cursor, country_id=world.fr.pk)
        assert countries_in(cursor, table) == {world.fr.pk}
        scope(cursor, country_id=world.ke.pk)
        assert countries_in(cursor, table) == {world.ke.pk}


@pytest.mark.parametrize("table", TENANT_TABLES)
def test_a_list_setting_shows_the_listed_countries(world, table):
    with connection.cursor() as cursor:
        scope(cursor, country_ids=f"{world.fr.pk},{world.ke.pk}")
        assert countries_in(cursor, table) == {world.fr.pk, world.ke.pk}
        scope(cursor, country_ids=f"{world.ke.pk}")
        assert countries_in(cursor, table) == {world.ke.pk}


@pytest.mark.parametrize("table", TENANT_TABLES)
def test_no_setting_shows_no_rows(world, table):
    with connection.cursor() as cursor:
        scope(cursor)
        assert one(cursor, f'SELECT count(*) FROM "{table}"') == 0
        cursor.execute(
            "SELECT set_config('portal.country_id', NULL, true), set_config('portal.country_ids', NULL, true)"
        )
        assert one(cursor, f'SELECT count(*) FROM "{table}"') == 0


def test_a_garbage_setting_fails_rather_than_widening(world):
    with connection.cursor() as cursor:
        for garbage in ("*", "1 OR true", f"{world.fr.pk};{world.ke.pk}", "%"):
            with pytest.raises(DatabaseError), transaction.atomic():
                scope(cursor, country_id=garbage)
                cursor.execute("SELECT count(*) FROM tenants_organisation")


@pytest.mark.django_db(transaction=True)
def test_a_fresh_session_sees_no_rows_of_committed_data(cast):
    """Not only inside the test's transaction: a brand-new connection of the runtime role, with no
    setting at all, sees nothing of data that is committed."""
    params = connection.get_connection_params()
    fresh = psycopg2.connect(**params)
    try:
        with fresh.cursor() as cursor:
            assert one(cursor, "SELECT current_user") == "portal_app"
            assert one(cursor, "SELECT current_setting('portal.country_id', true)") is None
            for table in ("tenants_organisation", "tenants_membership"):
                assert one(cursor, f'SELECT count(*) FROM "{table}"') == 0
            scope(cursor, country_id=cast.fr.pk)
            assert countries_in(cursor, "tenants_organisation") == {cast.fr.pk}
        fresh.rollback()
    finally:
        fresh.close()


# --- Writes -----------------------------------------------------------------------------------------


def test_inserting_another_countrys_row_is_refused(world):
    with connection.cursor() as cursor:
        scope(cursor, country_id=world.fr.pk)
        with pytest.raises(DatabaseError, match="row-level security"), transaction.atomic():
            clone_row(cursor, "tenants_organisation", world.fr_agency.pk, country_id=world.ke.pk, name="Smuggled")
        scope(cursor, country_id=world.ke.pk)
        assert one(cursor, "SELECT count(*) FROM tenants_organisation WHERE name = 'Smuggled'") == 0


def test_inserting_with_no_setting_is_refused(world):
    with connection.cursor() as cursor:
        scope(cursor, country_id=world.fr.pk)
        cursor.execute(
            "CREATE TEMPORARY TABLE fr_agency ON COMMIT DROP AS SELECT * FROM tenants_organisation WHERE id = %s",
            [world.fr_agency.pk],
        )
        scope(cursor)
        with pytest.raises(DatabaseError, match="row-level security"), transaction.atomic():
            cursor.execute("INSERT INTO tenants_organisation SELECT * FROM fr_agency")


@pytest.mark.parametrize("table", ["tenants_organisation", "tenants_membership", "tenants_invitation"])
def test_updating_and_deleting_another_countrys_rows_affects_none(world, table):
    with connection.cursor() as cursor:
        scope(cursor, country_id=world.ke.pk)
        before = one(cursor, f"SELECT md5(string_agg(t::text, '|' ORDER BY id)) FROM \"{table}\" t")
        scope(cursor, country_id=world.fr.pk)
        cursor.execute(
            f"UPDATE \"{table}\" SET created_at = created_at - interval '1 day' WHERE country_id = %s", [world.ke.pk]
        )
        assert cursor.rowcount == 0
        cursor.execute(f'DELETE FROM "{table}" WHERE country_id = %s', [world.ke.pk])
        assert cursor.rowcount == 0
        scope(cursor, country_id=world.ke.pk)
        assert one(cursor, f"SELECT md5(string_agg(t::text, '|' ORDER BY id)) FROM \"{table}\" t") == before


def test_moving_a_row_into_another_country_is_refused(world):
    with connection.cursor() as cursor:
        scope(cursor, country_id=world.fr.pk)
        with pytest.raises(DatabaseError, match="row-level security"), transaction.atomic():
            cursor.execute(
                "UPDATE tenants_organisation SET country_id = %s WHERE id = %s", [world.ke.pk, world.fr_agency.pk]
            )


# --- Composite same-country foreign keys ------------------------------------------------------------


def test_a_membership_cannot_point_at_another_countrys_organisation(world):
    with connection.cursor() as cursor:
        scope(cursor, country_ids=f"{world.fr.pk},{world.ke.pk}")  # RLS would admit both rows
        member_id = one(cursor, "SELECT id FROM tenants_membership WHERE user_id = %s", [world.member.pk])
        with pytest.raises(IntegrityError, match="same_country"), transaction.atomic():
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            clone_row(
                cursor, "tenants_membership", member_id, user_id=world.partner.pk, organisation_id=world.ke_ministry.pk
            )
        # Deferred (the default), the same insert fails when the constraints are checked.
        with pytest.raises(IntegrityError, match="same_country"), transaction.atomic():
            clone_row(
                cursor, "tenants_membership", member_id, user_id=world.partner.pk, organisation_id=world.ke_ministry.pk
            )
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        # Re-pointing an existing membership is refused the same way.
        with pytest.raises(IntegrityError, match="same_country"), transaction.atomic():
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(
                "UPDATE tenants_membership SET organisation_id = %s WHERE user_id = %s",
                [world.ke_ministry.pk, world.member.pk],
            )


def test_an_invitation_cannot_point_at_another_countrys_membership(world):
    with connection.cursor() as cursor:
        scope(cursor, country_ids=f"{world.fr.pk},{world.ke.pk}")
        ke_membership = one(cursor, "SELECT id FROM tenants_membership WHERE user_id = %s", [world.outsider.pk])
        fr_invitation = one(cursor, "SELECT id FROM tenants_invitation WHERE country_id = %s", [world.fr.pk])
        with pytest.raises(IntegrityError, match="same_country"), transaction.atomic():
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            clone_row(cursor, "tenants_invitation", fr_invitation, membership_id=ke_membership)


def test_the_orm_cannot_link_across_countries_either(world):
    with country_context(world.fr, world.ke):
        with pytest.raises(IntegrityError, match="same_country"), transaction.atomic():
            Membership.objects.create(country=world.fr, user=world.partner, organisation=world.ke_ministry)
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


# --- Coverage: every table with a country_id ---------------------------------------------------------


@dataclass
class RlsState:
    table: str
    enabled: bool
    forced: bool
    policies: list[tuple[str, str, str | None, str | None]]  # name, command, USING, WITH CHECK


def tables_with_country_id(cursor, schemas: tuple[str, ...] = ("public",)) -> list[str]:
    """Every ordinary or partitioned table in these schemas that has a column named country_id."""
    cursor.execute(
        "SELECT DISTINCT c.relname FROM pg_attribute a "
        "JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE a.attname = 'country_id' AND NOT a.attisdropped AND c.relkind IN ('r', 'p') "
        "AND n.nspname = ANY(%s) ORDER BY 1",
        [list(schemas)],
    )
    return [row[0] for row in cursor.fetchall()]


def rls_state(cursor, table: str) -> RlsState:
    cursor.execute("SELECT relrowsecurity, relforcerowsecurity FROM pg_class WHERE oid = to_regclass(%s)", [table])
    enabled, forced = cursor.fetchone()
    cursor.execute(
        "SELECT polname, polcmd, pg_get_expr(polqual, polrelid), pg_get_expr(polwithcheck, polrelid) "
        "FROM pg_policy WHERE polrelid = to_regclass(%s) "
        # Only policies that reach the runtime role matter: PUBLIC (oid 0) or the role itself. The
        # owner's own window on memberships (migration 0007) applies to the owner alone.
        "AND (0 = ANY (polroles) OR (SELECT oid FROM pg_roles WHERE rolname = current_user) = ANY (polroles)) "
        "ORDER BY polname",
        [table],
    )
    return RlsState(table, enabled, forced, cursor.fetchall())


def rls_problems(state: RlsState) -> list[str]:
    """Why this table would not keep countries apart (empty when it does)."""
    problems = []
    if not state.enabled:
        problems.append(f"{state.table}: row-level security is not enabled")
    if not state.forced:
        problems.append(f"{state.table}: row-level security is not forced (its owner would see every row)")
    if not state.policies:
        problems.append(f"{state.table}: no policy")
    for name, command, using, check in state.policies:
        # Every policy is permissive by default and they are OR-ed: a single loose one opens the table.
        # The one other admitted shape is a read-only policy of the public reading mode, which
        # restricts country_id to the one public country (tenants.db.public_rows).
        public_read = command == "r" and "portal_public_country_id()" in (using or "")
        if "country_id" not in (using or "") or not ("portal_allowed_country_ids()" in (using or "") or public_read):
            problems.append(f"{state.table}: policy {name} does not restrict country_id to the allowed countries")
        if command in ("*", "a", "w") and (
            "country_id" not in (check or "") or "portal_allowed_country_ids()" not in (check or "")
        ):
            problems.append(f"{state.table}: policy {name} lets rows of other countries be written")
    return problems


def test_every_table_with_a_country_id_has_forced_row_level_security(db):
    from tests.tenants.test_isolation import country_owned_models

    with connection.cursor() as cursor:
        tables = tables_with_country_id(cursor)
        assert set(TENANT_TABLES) <= set(tables)
        # The ORM's country-owned models and the database's tables with a country_id are the same set.
        assert {m._meta.db_table for m in country_owned_models()} == set(tables)
        problems = [p for table in tables for p in rls_problems(rls_state(cursor, table))]
    assert not problems, "\n".join(problems)


def test_the_coverage_check_reports_a_table_without_row_level_security(db):
    """The check above is not vacuous: a real table with a country_id (a temporary one, which the
    runtime role may create) is found and reported until it is enabled, forced and given a policy
    on country_id; a loose policy is reported too."""
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMPORARY TABLE leaky (id bigint, country_id bigint) ON COMMIT DROP")
        temp_schema = one(cursor, "SELECT nspname FROM pg_namespace WHERE oid = pg_my_temp_schema()")
        assert tables_with_country_id(cursor, (temp_schema,)) == ["leaky"]
        problems = rls_problems(rls_state(cursor, "leaky"))
        assert any("not enabled" in p for p in problems)
        assert any("not forced" in p for p in problems)
        assert any("no policy" in p for p in problems)
        cursor.execute("ALTER TABLE leaky ENABLE ROW LEVEL SECURITY")
        cursor.execute("ALTER TABLE leaky FORCE ROW LEVEL SECURITY")
        cursor.execute("CREATE POLICY everything ON leaky USING (true)")
        assert rls_problems(rls_state(cursor, "leaky")) == [
            "leaky: policy everything does not restrict country_id to the allowed countries",
            "leaky: policy everything lets rows of other countries be written",
        ]
        cursor.execute("DROP POLICY everything ON leaky")
        # The public reading mode's policy passes only as a read-only one.
        cursor.execute("CREATE POLICY public_read ON leaky FOR SELECT USING (country_id = portal_public_country_id())")
        assert rls_problems(rls_state(cursor, "leaky")) == []
        cursor.execute("CREATE POLICY public_write ON leaky FOR ALL USING (country_id = portal_public_country_id())")
        assert rls_problems(rls_state(cursor, "leaky")) == [
            "leaky: policy public_write does not restrict country_id to the allowed countries",
            "leaky: policy public_write lets rows of other countries be written",
        ]
        cursor.execute("DROP POLICY public_write ON leaky")
        cursor.execute(
            "CREATE POLICY country_isolation ON leaky USING (country_id = ANY (portal_allowed_country_ids())) "
            "WITH CHECK (country_id = ANY (portal_allowed_country_ids()))"
        )
        assert rls_problems(rls_state(cursor, "leaky")) == []
        # Tables known to be outside row-level security are reported by the same check.
        assert rls_problems(rls_state(cursor, "tenants_country"))
        assert rls_problems(rls_state(cursor, "auth_user"))


def test_every_reference_between_tenant_tables_is_a_same_country_key(db):
    """Each foreign key from one tenant table to another has a composite twin (column, country_id)
    → (id, country_id), so a row can never point at a parent of another country."""
    with connection.cursor() as cursor:
        tables = tables_with_country_id(cursor)
        cursor.execute(
            "SELECT con.conname, src.relname, dst.relname, "
            "  (SELECT array_agg(a.attname ORDER BY k.n) FROM unnest(con.conkey) WITH ORDINALITY k(attnum, n) "
            "     JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum), "
            "  (SELECT array_agg(a.attname ORDER BY k.n) FROM unnest(con.confkey) WITH ORDINALITY k(attnum, n) "
            "     JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.attnum) "
            "FROM pg_constraint con JOIN pg_class src ON src.oid = con.conrelid JOIN pg_class dst ON dst.oid = con.confrelid "
            "WHERE con.contype = 'f' AND src.relname = ANY(%s) AND dst.relname = ANY(%s)",
            [tables, tables],
        )
        keys = cursor.fetchall()
    composite = {(src, dst, tuple(cols), tuple(ref)) for _, src, dst, cols, ref in keys if len(cols) == 2}
    single = [(src, cols[0], dst) for _, src, dst, cols, _ in keys if len(cols) == 1]
    assert single, "expected the tenant tables to reference each other"
    missing = [
        f"{src}.{column} → {dst}"
        for src, column, dst in single
        if (src, dst, (column, "country_id"), ("id", "country_id")) not in composite
    ]
    assert not missing, "references without a same-country key: " + ", ".join(missing)


# --- The membership window -----------------------------------------------------------------------------


def test_memberships_of_returns_only_that_persons_memberships_in_every_country(world):
    with country_context(world.ke):
        Membership.objects.create(country=world.ke, user=world.owner, organisation=world.ke_ministry, role="viewer")
    with connection.cursor() as cursor:
        scope(cursor)  # no country at all: the window does not need one
        assert one(cursor, "SELECT count(*) FROM tenants_membership") == 0
        cursor.execute(
            "SELECT country_id, organisation_id, role, status FROM portal_memberships_of(%s) ORDER BY 1",
            [world.owner.pk],
        )
        assert sorted(cursor.fetchall()) == sorted(
            [
                (world.fr.pk, world.fr_ministry.pk, "country_admin", "active"),
                (world.ke.pk, world.ke_ministry.pk, "viewer", "active"),
            ]
        )
        cursor.execute("SELECT country_id FROM portal_memberships_of(%s)", [world.outsider.pk])
        assert cursor.fetchall() == [(world.ke.pk,)]
        cursor.execute("SELECT * FROM portal_memberships_of(%s)", [world.partner.pk])
        assert cursor.fetchall() == []
        # It answers with ids and roles only: no personal data passes through the window.
        cursor.execute("SELECT * FROM portal_memberships_of(%s) LIMIT 0", [world.owner.pk])
        assert [c.name for c in cursor.description] == ["country_id", "organisation_id", "role", "status"]


def test_the_only_security_definer_window_is_the_membership_function(db):
    """A SECURITY DEFINER function runs with its owner's rights, through row-level security. The
    runtime role may call none but the reviewed ones, and their owner must actually be able to read
    through FORCEd row-level security (else the window silently returns nothing)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT p.proname, r.rolsuper OR r.rolbypassrls FROM pg_proc p "
            "JOIN pg_namespace n ON n.oid = p.pronamespace JOIN pg_roles r ON r.oid = p.proowner "
            "WHERE n.nspname = 'public' AND p.prosecdef AND has_function_privilege(current_user, p.oid, 'EXECUTE')"
        )
        rows = cursor.fetchall()
    assert {name for name, _ in rows} == ALLOWED_DEFINER_FUNCTIONS
    assert all(can_read for _, can_read in rows), (
        "the owner of a SECURITY DEFINER window is subject to FORCEd row-level security: it would see no rows"
    )
