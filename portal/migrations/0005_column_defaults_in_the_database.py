"""Every NOT NULL column added since the first release gets its default in the database as well as in
Python, so that the release before, which inserts rows without the columns it does not know, keeps
working while a rolling upgrade runs (tests/test_rolling_upgrade.py)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("portal", "0004_report_headings")]

    operations = [
        migrations.AlterField(
            model_name="compliancereport",
            name="headings",
            field=models.CharField(
                blank=True,
                db_default="",
                help_text="The language of the CSV and spreadsheet column headings: the requester's when they asked, or 'keys'.",
                max_length=10,
            ),
        ),
        migrations.AlterField(
            model_name="compliancereport",
            name="step_params",
            field=models.JSONField(blank=True, db_default={}, default=dict),
        ),
    ]
