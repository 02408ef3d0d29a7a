"""A report keeps the language of its CSV and spreadsheet headings: the language it was asked in,
or 'keys'. Earlier reports (empty) were made with the stable keys and stay so."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("portal", "0003_job_step_codes")]

    operations = [
        migrations.AddField(
            model_name="compliancereport",
            name="headings",
            field=models.CharField(
                blank=True,
                help_text="The language of the CSV and spreadsheet column headings: the requester's when they asked, or 'keys'.",
                max_length=10,
            ),
        )
    ]
