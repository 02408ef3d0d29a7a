"""Monthly report subscriptions, a tenant table under row-level security."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

from tenants.db import enable_row_level_security


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0001_compliance_reports"),
        ("tenants", "0010_refuse_truncate"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="ReportSubscription",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "kind",
                    models.CharField(
                        choices=[("pack", "Country compliance pack"), ("ledger", "Ledger only")],
                        default="pack",
                        max_length=10,
                    ),
                ),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                (
                    "last_period_start",
                    models.DateField(
                        blank=True, help_text="First day of the last month a report was requested for.", null=True
                    ),
                ),
                (
                    "country",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="+", to="tenants.country"
                    ),
                ),
                (
                    "user",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="+", to=settings.AUTH_USER_MODEL
                    ),
                ),
            ],
            options={
                "ordering": ["created_at", "id"],
                "abstract": False,
                "base_manager_name": "objects",
                "constraints": [
                    models.UniqueConstraint(fields=("country", "user"), name="portal_subscription_one_per_person")
                ],
            },
        ),
        enable_row_level_security("portal_reportsubscription"),
    ]
