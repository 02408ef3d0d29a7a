"""Every NOT NULL column added since the first release gets its default in the database as well as in
Python, so that the release before, which inserts rows without the columns it does not know, keeps
working while a rolling upgrade runs (tests/test_rolling_upgrade.py)."""

import tenants.keys.fields
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("deployments", "0012_republish_policies")]

    operations = [
        migrations.AlterField(
            model_name="aimodel",
            name="eu_database_url",
            field=models.URLField(
                blank=True,
                db_default="",
                help_text="The URL of the provider's entry for this system in the EU database (EU AI Act Art. 49(1)), which public deployers in the EU cite when they register their use.",
                max_length=500,
                verbose_name="EU database entry",
            ),
        ),
        migrations.AlterField(
            model_name="environment", name="capture_calls", field=models.BooleanField(db_default=False, default=False)
        ),
        migrations.AlterField(
            model_name="environment",
            name="capture_retention_days",
            field=models.PositiveSmallIntegerField(db_default=30, default=30),
        ),
        migrations.AlterField(
            model_name="environment", name="policy_version", field=models.PositiveIntegerField(db_default=0, default=0)
        ),
        migrations.AlterField(
            model_name="environment",
            name="requests_per_minute",
            field=models.PositiveIntegerField(
                db_default=600,
                default=600,
                help_text="Calls a minute the gateway admits for this environment (0: no limit).",
            ),
        ),
        migrations.AlterField(
            model_name="environment",
            name="upstream_key",
            field=tenants.keys.fields.EncryptedTextField(
                blank=True, db_default="", default="", verbose_name="upstream key"
            ),
        ),
        migrations.AlterField(
            model_name="environment",
            name="usage_month",
            field=models.CharField(
                blank=True, db_default="", help_text="The month tokens_used counts (YYYY-MM).", max_length=7
            ),
        ),
    ]
