"""The membership window (portal_memberships_of) runs with its owner's rights; under FORCE row-level
security the owner is filtered too unless it is a superuser or has BYPASSRLS. This policy lets the
owning role, and only it, read memberships so the window works on a managed database."""

from django.db import migrations

from tenants.db import RunPostgresSQL


class Migration(migrations.Migration):
    dependencies = [("tenants", "0006_country_export")]

    operations = [
        RunPostgresSQL(
            "CREATE POLICY membership_window ON tenants_membership FOR SELECT TO CURRENT_USER USING (true)",
            reverse_sql="DROP POLICY IF EXISTS membership_window ON tenants_membership",
        )
    ]
