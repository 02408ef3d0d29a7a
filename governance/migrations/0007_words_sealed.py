"""The note on a requirement's status is sealed under the country's key, as an incident's
description already was: held in plain text, it outlived the destruction of a country's keys when
it left. The values already stored are sealed here (tenants.keys.upgrades: under each country's
active key; emptied for a country whose keys were already destroyed)."""

import tenants.keys.fields
from django.db import migrations

from tenants.keys.upgrades import plain_columns_seal


BY = "governance.0007_words_sealed"


def seal(apps, schema_editor):
    plain_columns_seal(apps, schema_editor, model="governance.RequirementStatus", fields=["note"], by=BY)


class Migration(migrations.Migration):
    dependencies = [("tenants", "0028_words_sealed"), ("governance", "0006_assessment_review_dates")]

    operations = [
        migrations.AlterField(
            model_name="requirementstatus",
            name="note",
            field=tenants.keys.fields.EncryptedTextField(blank=True, default="", verbose_name="note"),
        ),
        migrations.RunPython(seal, migrations.RunPython.noop),
    ]
