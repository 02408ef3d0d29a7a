"""An export or exit stores its progress step as a code and parameters, written in the reader's language
when shown (tenants.jobs.steps); rows written before get the code of their English words, and a
text no code matches is kept as it is."""

from django.db import migrations, models

from tenants.jobs.steps import steps_to_codes


def to_codes(apps, schema_editor):
    steps_to_codes(apps, schema_editor, "tenants.CountryExport", "tenants.CountryExit")


class Migration(migrations.Migration):
    dependencies = [("tenants", "0023_token_revoke_reason")]

    operations = [
        migrations.AddField(
            model_name="countryexit", name="step_params", field=models.JSONField(blank=True, default=dict)
        ),
        migrations.AddField(
            model_name="countryexport", name="step_params", field=models.JSONField(blank=True, default=dict)
        ),
        migrations.AlterField(
            model_name="countryexit",
            name="step",
            field=models.CharField(blank=True, help_text="The code of the step under way.", max_length=200),
        ),
        migrations.AlterField(
            model_name="countryexport",
            name="step",
            field=models.CharField(blank=True, help_text="The code of the step under way.", max_length=200),
        ),
        migrations.RunPython(to_codes, migrations.RunPython.noop),
    ]
