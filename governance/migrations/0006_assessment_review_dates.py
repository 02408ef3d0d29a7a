"""Completed impact assessments get a review date (ASSESSMENT_REVIEW_MONTHS after completion),
when they were reviewed, and when their people were last told the review is near. Assessments
completed before this change get their review date from their completion date."""

from datetime import timedelta

from django.conf import settings
from django.db import migrations, models


def review_dates(apps, schema_editor):
    Assessment = apps.get_model("governance", "ImpactAssessment")
    Country = apps.get_model("tenants", "Country")
    connection = schema_editor.connection
    if connection.vendor == "postgresql":
        # The table is row-level secured, for its owner too: open every country for this step.
        ids = ",".join(str(pk) for pk in Country.objects.values_list("pk", flat=True))
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('portal.country_ids', %s, true)", [ids])
    period = timedelta(days=round(int(getattr(settings, "ASSESSMENT_REVIEW_MONTHS", 12)) * 365 / 12))
    for assessment in Assessment.objects.filter(status="completed", review_by__isnull=True, completed_at__isnull=False):
        Assessment.objects.filter(pk=assessment.pk).update(review_by=assessment.completed_at.date() + period)


class Migration(migrations.Migration):
    dependencies = [("governance", "0005_frameworks_from_yaml"), ("tenants", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="impactassessment", name="review_by", field=models.DateField(blank=True, null=True)
        ),
        migrations.AddField(
            model_name="impactassessment", name="review_reminded_at", field=models.DateTimeField(blank=True, null=True)
        ),
        migrations.AddField(
            model_name="impactassessment", name="reviewed_at", field=models.DateTimeField(blank=True, null=True)
        ),
        migrations.RunPython(review_dates, migrations.RunPython.noop),
    ]
