"""Provisioning jobs now go through the portal's one outbox (tenants 0012). Messages still waiting
in the deployments outbox are carried over (same job, same country) before its table is dropped."""

from django.db import migrations


def carry_over(apps, schema_editor):
    Old = apps.get_model("deployments", "OutboxMessage")
    New = apps.get_model("tenants", "OutboxMessage")
    Country = apps.get_model("tenants", "Country")
    connection = schema_editor.connection
    if connection.vendor == "postgresql":
        # Both tables are row-level secured, for their owner too: open every country for this step.
        ids = ",".join(str(pk) for pk in Country.objects.values_list("pk", flat=True))
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('portal.country_ids', %s, true)", [ids])
    for message in Old.objects.filter(published_at__isnull=True).order_by("pk"):
        New.objects.create(
            country_id=message.country_id,
            task="deployments.provisioning_run",
            kwargs={"country_id": message.country_id, "job_id": message.job_id},
            created_at=message.created_at,
            attempts=message.attempts,
            last_error=message.last_error,
        )


class Migration(migrations.Migration):
    dependencies = [("deployments", "0003_environment_recertification"), ("tenants", "0012_outbox")]

    operations = [
        migrations.RunPython(carry_over, migrations.RunPython.noop),
        migrations.DeleteModel(name="OutboxMessage"),
    ]
