"""Every environment's gateway policy published again: a policy now says whether its upstream is a
server its country declared (the gateway then calls it only at the addresses tenants.networks
allows), and the policies already in Redis, published before, do not say it. Each environment gets
a new policy version and a publishing job in its country's outbox, which the relay hands to a worker
once the upgrade runs (nothing is published from the migration itself)."""

from django.db import migrations
from django.db.models import F
from django.utils import timezone

from tenants.db import every_country_open

PUBLISH_TASK = "deployments.policy_publish"


def republish(apps, schema_editor):
    Environment = apps.get_model("deployments", "Environment")
    OutboxMessage = apps.get_model("tenants", "OutboxMessage")
    every_country_open(apps, schema_editor)
    environments = list(Environment.objects.exclude(state="decommissioned").values_list("pk", "country_id"))
    if not environments:
        return
    Environment.objects.filter(pk__in=[pk for pk, _ in environments]).update(policy_version=F("policy_version") + 1)
    now = timezone.now()
    OutboxMessage.objects.bulk_create(
        OutboxMessage(
            country_id=country_id,
            task=PUBLISH_TASK,
            kwargs={"country_id": country_id, "environment_id": pk},
            created_at=now,
            request_id="migration:deployments.0012",
        )
        for pk, country_id in environments
    )


class Migration(migrations.Migration):
    dependencies = [("deployments", "0011_request_moves_with_reasons"), ("tenants", "0026_exit_reason_as_code")]

    operations = [migrations.RunPython(republish, migrations.RunPython.noop)]
