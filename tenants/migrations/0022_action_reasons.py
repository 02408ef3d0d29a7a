"""Reasons given when confirming an action that removes, revokes or stops something (row-level secured, sealed)."""

import django.db.models.deletion
import django.utils.timezone
import tenants.keys.fields
from django.conf import settings
from django.db import migrations, models

from tenants.db import enable_row_level_security


class Migration(migrations.Migration):
    dependencies = [("tenants", "0021_conversations"), migrations.swappable_dependency(settings.AUTH_USER_MODEL)]

    operations = [
        migrations.CreateModel(
            name="ActionReason",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("action", models.CharField(max_length=80)),
                ("target_type", models.CharField(blank=True, max_length=80)),
                ("target_id", models.CharField(blank=True, max_length=64)),
                ("reason", tenants.keys.fields.EncryptedTextField(blank=True, default="")),
                ("at", models.DateTimeField(default=django.utils.timezone.now)),
                (
                    "by",
                    models.ForeignKey(
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "country",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="+", to="tenants.country"
                    ),
                ),
            ],
            options={
                "ordering": ["-at", "-id"],
                "abstract": False,
                "base_manager_name": "objects",
                "indexes": [
                    models.Index(fields=["country", "target_type", "target_id"], name="tenants_reason_target_idx")
                ],
            },
        ),
        enable_row_level_security("tenants_actionreason"),
    ]
