"""Row-level security on every tenant table, composite same-country foreign keys, the membership
window for access resolution, and the append-only guard of the event chain (PostgreSQL only)."""

from django.db import migrations

from tenants.db import (
    ALLOWED_COUNTRIES_FUNCTION,
    MEMBERSHIPS_FUNCTION,
    RunPostgresSQL,
    enable_row_level_security,
    same_country_foreign_key,
)

APPEND_ONLY_TRIGGER = r"""
CREATE OR REPLACE FUNCTION portal_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the event chain is append-only: % on % is refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER tenants_countryevent_append_only BEFORE UPDATE OR DELETE ON tenants_countryevent
    FOR EACH ROW EXECUTE FUNCTION portal_refuse_change();
"""


class Migration(migrations.Migration):
    dependencies = [("tenants", "0001_initial")]

    operations = [
        RunPostgresSQL(ALLOWED_COUNTRIES_FUNCTION, reverse_sql="DROP FUNCTION IF EXISTS portal_allowed_country_ids()"),
        RunPostgresSQL(MEMBERSHIPS_FUNCTION, reverse_sql="DROP FUNCTION IF EXISTS portal_memberships_of(bigint)"),
        enable_row_level_security("tenants_organisation"),
        enable_row_level_security("tenants_membership"),
        enable_row_level_security("tenants_invitation"),
        enable_row_level_security("tenants_countryevent"),
        same_country_foreign_key("tenants_membership", "organisation_id", "tenants_organisation"),
        same_country_foreign_key("tenants_invitation", "membership_id", "tenants_membership"),
        RunPostgresSQL(
            APPEND_ONLY_TRIGGER,
            reverse_sql="DROP TRIGGER IF EXISTS tenants_countryevent_append_only ON tenants_countryevent; "
            "DROP FUNCTION IF EXISTS portal_refuse_change()",
        ),
    ]
