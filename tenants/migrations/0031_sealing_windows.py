"""Sealing windows (tenants.keys.windows): a column an upgrade seals accepts the plain values the
release before still writes during the rollout, until `seal_plain_values` seals them. The columns
sealed earlier in this same run (tenants 0028 and the other apps' words_sealed migrations, which
ran before this table existed) get their windows here."""

import django.utils.timezone
from django.db import migrations, models

from tenants.keys.upgrades import sealing_windows_open_pending


class Migration(migrations.Migration):
    dependencies = [("tenants", "0030_password_reset_request_names")]

    operations = [
        migrations.CreateModel(
            name="SealingWindow",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("table", models.CharField(max_length=63, verbose_name="table")),
                ("column", models.CharField(max_length=63, verbose_name="column")),
                ("opened_at", models.DateTimeField(default=django.utils.timezone.now, verbose_name="opened at")),
                (
                    "opened_by",
                    models.CharField(
                        help_text="The migration that sealed the column.", max_length=200, verbose_name="opened by"
                    ),
                ),
                ("closed_at", models.DateTimeField(blank=True, null=True, verbose_name="closed at")),
                (
                    "sealed",
                    models.PositiveIntegerField(db_default=0, default=0, verbose_name="values sealed when it closed"),
                ),
                (
                    "emptied",
                    models.PositiveIntegerField(
                        db_default=0,
                        default=0,
                        help_text="Plain values of countries whose keys were destroyed when they left.",
                        verbose_name="values emptied when it closed",
                    ),
                ),
            ],
            options={
                "verbose_name": "sealing window",
                "verbose_name_plural": "sealing windows",
                "ordering": ["table", "column"],
                "constraints": [
                    models.UniqueConstraint(fields=("table", "column"), name="tenants_sealingwindow_column_uniq")
                ],
            },
        ),
        migrations.RunPython(sealing_windows_open_pending, migrations.RunPython.noop),
    ]
