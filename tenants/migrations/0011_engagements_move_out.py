"""Engagements leave the tenants app for an app of their own (engagements 0001): the tenants app
forgets them in its state only; the tables and every row stay."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("tenants", "0010_refuse_truncate"), ("engagements", "0001_initial")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(model_name="engagement", name="approved_terms"),
                migrations.DeleteModel(name="EngagementTransition"),
                migrations.DeleteModel(name="EngagementTerms"),
                migrations.DeleteModel(name="Engagement"),
            ],
            database_operations=[],
        )
    ]
