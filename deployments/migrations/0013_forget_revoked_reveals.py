"""The secrets of revoked credentials forgotten in databases that still hold them: a rotation and a
decommissioning now delete the pending reveals of the credentials they revoke, but rows written
before that stayed in the table (sealed, never shown: a reveal shows only a live credential). A
reveal is kept only for the newest live credential of its environment, the one a person may still
come to see once."""

from django.db import migrations
from django.db.models import Max

from tenants.db import every_country_open


def forget_revoked_reveals(apps, schema_editor):
    Credential = apps.get_model("deployments", "Credential")
    CredentialReveal = apps.get_model("deployments", "CredentialReveal")
    every_country_open(apps, schema_editor)
    newest_live = {
        row["credential_max"]
        for row in Credential.objects.filter(revoked_at__isnull=True)
        .order_by()
        .values("environment_id")
        .annotate(credential_max=Max("id"))
    }
    CredentialReveal.objects.exclude(credential_id__in=newest_live).delete()


class Migration(migrations.Migration):
    dependencies = [("deployments", "0012_republish_policies")]

    operations = [migrations.RunPython(forget_revoked_reveals, migrations.RunPython.noop)]
