"""One compliance report of a kind, period and headings waits or is being built at a time. Reports
asked for twice before this held: the later ones are marked failed (the first goes on), so the
constraint can be made."""

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0006_merge_20261204_0950"),
        ("tenants", "0033_merge_20261204_1359"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunSQL(
            """
            UPDATE portal_compliancereport AS later SET state = 'failed', step = 'failed', error = 'ReportUnderWay'
            WHERE later.state IN ('pending', 'running') AND EXISTS (
                SELECT 1 FROM portal_compliancereport AS first
                WHERE first.country_id = later.country_id AND first.kind = later.kind
                AND first.period_start = later.period_start AND first.period_end = later.period_end
                AND first.headings = later.headings AND first.state IN ('pending', 'running') AND first.id < later.id
            )
            """,
            migrations.RunSQL.noop,
        ),
        migrations.AddConstraint(
            model_name="compliancereport",
            constraint=models.UniqueConstraint(
                condition=models.Q(("state__in", ["pending", "running"])),
                fields=("country", "kind", "period_start", "period_end", "headings"),
                name="portal_report_one_under_way",
            ),
        ),
    ]
