"""The outbox of every background job (DESIGN §7): one row-level secured table for jobs about a
country, one for jobs of the platform."""

import django.utils.timezone
from django.db import migrations, models

from tenants.db import enable_row_level_security


class Migration(migrations.Migration):
    dependencies = [("tenants", "0011_engagements_move_out")]

    operations = [
        migrations.CreateModel(
            name="OutboxMessage",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("task", models.CharField(help_text="The registered name of the Celery task to run.", max_length=100)),
                (
                    "kwargs",
                    models.JSONField(
                        default=dict, help_text="Ids and small values only: never a secret or personal data."
                    ),
                ),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("published_at", models.DateTimeField(blank=True, null=True)),
                ("attempts", models.PositiveIntegerField(default=0)),
                ("last_error", models.CharField(blank=True, max_length=300)),
                (
                    "country",
                    models.ForeignKey(on_delete=models.deletion.PROTECT, related_name="+", to="tenants.country"),
                ),
            ],
            options={"ordering": ["created_at", "id"], "abstract": False, "base_manager_name": "objects"},
        ),
        migrations.CreateModel(
            name="PlatformOutboxMessage",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("task", models.CharField(help_text="The registered name of the Celery task to run.", max_length=100)),
                (
                    "kwargs",
                    models.JSONField(
                        default=dict, help_text="Ids and small values only: never a secret or personal data."
                    ),
                ),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("published_at", models.DateTimeField(blank=True, null=True)),
                ("attempts", models.PositiveIntegerField(default=0)),
                ("last_error", models.CharField(blank=True, max_length=300)),
            ],
            options={"ordering": ["created_at", "id"], "abstract": False},
        ),
        migrations.AddIndex(
            model_name="outboxmessage",
            index=models.Index(fields=["country", "published_at"], name="tenants_outbox_pending_idx"),
        ),
        migrations.AddIndex(
            model_name="platformoutboxmessage",
            index=models.Index(fields=["published_at"], name="tenants_poutbox_pending_idx"),
        ),
        enable_row_level_security("tenants_outboxmessage"),
    ]
