"""The comment of each decision on an engagement is sealed under the country's key, as the terms'
conditions already were: held in plain text, it outlived the destruction of a country's keys when
it left. The values already stored are sealed here (tenants.keys.upgrades: under each country's
active key; emptied for a country whose keys were already destroyed)."""

import tenants.keys.fields
from django.db import migrations

from tenants.keys.upgrades import plain_columns_seal


BY = "engagements.0002_words_sealed"


def seal(apps, schema_editor):
    plain_columns_seal(apps, schema_editor, model="engagements.EngagementTransition", fields=["comment"], by=BY)


class Migration(migrations.Migration):
    dependencies = [("tenants", "0028_words_sealed"), ("engagements", "0001_initial")]

    operations = [
        migrations.AlterField(
            model_name="engagementtransition",
            name="comment",
            field=tenants.keys.fields.EncryptedTextField(blank=True, default="", verbose_name="comment"),
        ),
        migrations.RunPython(seal, migrations.RunPython.noop),
    ]
