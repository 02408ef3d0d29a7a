"""A person's language and time zone (Preferences), and each country's time zone (DESIGN §8)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("auth", "0012_alter_user_first_name_max_length"), ("tenants", "0017_ledger_chained_at_commit")]

    operations = [
        migrations.CreateModel(
            name="Preferences",
            fields=[
                (
                    "user",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="preferences",
                        serialize=False,
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "language",
                    models.CharField(
                        blank=True,
                        choices=[
                            ("en", "English"),
                            ("fr", "Français"),
                            ("es", "Español"),
                            ("pt", "Português"),
                            ("ar", "العربية"),
                            ("sw", "Kiswahili"),
                        ],
                        default="",
                        max_length=12,
                        verbose_name="language",
                    ),
                ),
                (
                    "time_zone",
                    models.CharField(
                        blank=True,
                        default="",
                        help_text="An IANA time zone such as Europe/Paris; empty for your country's.",
                        max_length=64,
                        verbose_name="time zone",
                    ),
                ),
            ],
            options={"verbose_name": "personal preferences", "verbose_name_plural": "personal preferences"},
        ),
        migrations.AddField(
            model_name="country",
            name="time_zone",
            field=models.CharField(
                db_default="UTC",
                default="UTC",
                help_text="The IANA time zone its people read times in, e.g. Europe/Paris; each person may choose their own.",
                max_length=64,
                verbose_name="time zone",
            ),
        ),
    ]
