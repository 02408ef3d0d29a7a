"""The engagement tables take the app's name. A rename keeps every row, the row-level security
policy, the composite foreign keys and the grants: PostgreSQL attaches them to the table, not to
its name."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("engagements", "0001_initial"), ("tenants", "0011_engagements_move_out")]

    operations = [
        migrations.AlterModelTable(name="engagement", table=None),
        migrations.AlterModelTable(name="engagementterms", table=None),
        migrations.AlterModelTable(name="engagementtransition", table=None),
    ]
