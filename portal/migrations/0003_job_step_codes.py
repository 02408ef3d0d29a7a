"""A report stores its progress step as a code and parameters, written in the reader's language
when shown (tenants.jobs.steps): rows written before get the code of their English words, and a
text no code matches is kept as it is."""

from django.db import migrations, models

from tenants.jobs.steps import steps_to_codes


def to_codes(apps, schema_editor):
    steps_to_codes(apps, schema_editor, "portal.ComplianceReport")


class Migration(migrations.Migration):
    dependencies = [("portal", "0002_report_subscriptions")]

    operations = [
        migrations.AddField(
            model_name="compliancereport", name="step_params", field=models.JSONField(blank=True, default=dict)
        ),
        migrations.AlterField(
            model_name="compliancereport",
            name="step",
            field=models.CharField(blank=True, help_text="The code of the step under way.", max_length=200),
        ),
        migrations.RunPython(to_codes, migrations.RunPython.noop),
    ]
