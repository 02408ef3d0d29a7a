"""Every NOT NULL column added since the first release gets its default in the database as well as in
Python, so that the release before, which inserts rows without the columns it does not know, keeps
working while a rolling upgrade runs (tests/test_rolling_upgrade.py)."""

import django.db.models.functions.datetime
import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("governance", "0006_assessment_review_dates")]

    operations = [
        migrations.AlterField(
            model_name="framework",
            name="content_sha256",
            field=models.CharField(
                blank=True, db_default="", help_text="SHA-256 of the file last loaded.", max_length=64
            ),
        ),
        migrations.AlterField(
            model_name="framework", name="description", field=models.TextField(blank=True, db_default="")
        ),
        migrations.AlterField(
            model_name="framework",
            name="imported_at",
            field=models.DateTimeField(
                db_default=django.db.models.functions.datetime.Now(), default=django.utils.timezone.now
            ),
        ),
        migrations.AlterField(
            model_name="framework",
            name="is_current",
            field=models.BooleanField(db_default=True, default=True, help_text="The version offered for new work."),
        ),
        migrations.AlterField(
            model_name="framework",
            name="language",
            field=models.CharField(
                db_default="en", default="en", help_text="Language of the names and texts.", max_length=12
            ),
        ),
        migrations.AlterField(
            model_name="framework",
            name="origin",
            field=models.CharField(
                choices=[
                    ("shipped", "Shipped with the portal"),
                    ("imported", "Imported from a framework file"),
                    ("ciso_assistant", "Imported from a CISO Assistant library"),
                ],
                db_default="shipped",
                default="shipped",
                max_length=16,
            ),
        ),
        migrations.AlterField(
            model_name="framework",
            name="publisher",
            field=models.CharField(
                blank=True, db_default="", help_text="Who issued the source document.", max_length=200
            ),
        ),
        migrations.AlterField(
            model_name="framework",
            name="source_title",
            field=models.CharField(blank=True, db_default="", help_text="The source document.", max_length=300),
        ),
        migrations.AlterField(
            model_name="framework",
            name="source_url",
            field=models.URLField(blank=True, db_default="", help_text="Where the official text is.", max_length=500),
        ),
        migrations.AlterField(
            model_name="framework",
            name="urn",
            field=models.CharField(
                blank=True, db_default="", help_text="Identifier in the file it came from, if any.", max_length=255
            ),
        ),
        migrations.AlterField(
            model_name="framework", name="version", field=models.PositiveIntegerField(db_default=1, default=1)
        ),
        migrations.AlterField(
            model_name="requirement",
            name="assessable",
            field=models.BooleanField(
                db_default=True, default=True, help_text="False for a heading that groups requirements."
            ),
        ),
        migrations.AlterField(
            model_name="requirement", name="depth", field=models.PositiveSmallIntegerField(db_default=1, default=1)
        ),
        migrations.AlterField(
            model_name="requirement", name="description", field=models.TextField(blank=True, db_default="")
        ),
        migrations.AlterField(
            model_name="requirement",
            name="references",
            field=models.JSONField(
                blank=True,
                db_default=[],
                default=list,
                help_text="[{document, locator, url}]: the passages of the source it rests on.",
            ),
        ),
        migrations.AlterField(
            model_name="requirement", name="urn", field=models.CharField(blank=True, db_default="", max_length=255)
        ),
    ]
