"""TRUNCATE bypasses row triggers: refuse it on the chains too, for every role, the owner included.
The test suite empties tables between tests; only its own database sets portal.allow_truncate."""

from django.db import migrations

from tenants.db import RunPostgresSQL

TABLES = ["tenants_countryevent", "tenants_platformevent", "tenants_countrycheckpoint", "tenants_platformcheckpoint"]

FUNCTION = r"""
CREATE OR REPLACE FUNCTION portal_refuse_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('portal.allow_truncate', true) = 'on' THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'the event chain is append-only: TRUNCATE on % is refused', TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END
$$;
"""


class Migration(migrations.Migration):
    dependencies = [("tenants", "0009_notification_is_country_data")]

    operations = [
        RunPostgresSQL(FUNCTION, reverse_sql="DROP FUNCTION IF EXISTS portal_refuse_truncate() CASCADE"),
        *[
            RunPostgresSQL(
                f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                f"FOR EACH STATEMENT EXECUTE FUNCTION portal_refuse_truncate()",
                reverse_sql=f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}",
            )
            for table in TABLES
        ],
    ]
