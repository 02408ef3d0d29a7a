"""A deployment request's purpose and the comments of its decisions and moves are sealed under the
country's key, as messages already were: held in plain text, they outlived the destruction of a
country's keys when it left. The values already stored are sealed here (tenants.keys.upgrades:
under each country's active key; emptied for a country whose keys were already destroyed)."""

import tenants.keys.fields
from django.db import migrations

from tenants.keys.upgrades import plain_columns_seal


BY = "deployments.0014_words_sealed"


def seal(apps, schema_editor):
    plain_columns_seal(apps, schema_editor, model="deployments.DeploymentDecision", fields=["comment"], by=BY)
    plain_columns_seal(apps, schema_editor, model="deployments.DeploymentMove", fields=["comment"], by=BY)
    plain_columns_seal(apps, schema_editor, model="deployments.DeploymentRequest", fields=["purpose"], by=BY)


class Migration(migrations.Migration):
    dependencies = [("tenants", "0028_words_sealed"), ("deployments", "0013_forget_revoked_reveals")]

    operations = [
        migrations.AlterField(
            model_name="deploymentdecision",
            name="comment",
            field=tenants.keys.fields.EncryptedTextField(blank=True, default="", verbose_name="comment"),
        ),
        migrations.AlterField(
            model_name="deploymentmove",
            name="comment",
            field=tenants.keys.fields.EncryptedTextField(blank=True, default="", verbose_name="comment"),
        ),
        migrations.AlterField(
            model_name="deploymentrequest",
            name="purpose",
            field=tenants.keys.fields.EncryptedTextField(blank=True, default="", verbose_name="purpose"),
        ),
        migrations.RunPython(seal, migrations.RunPython.noop),
    ]
