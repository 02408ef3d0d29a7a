"""The reasons given for a country's exit and for a person's erasure, and a member's job title, are
sealed under the country's key, as messages and contact details already were: held in plain text,
they outlived the destruction of a country's keys when it left. The values already stored are
sealed here (tenants.keys.upgrades: under each country's active key; emptied for a country whose
keys were already destroyed)."""

import tenants.keys.fields
from django.db import migrations

from tenants.keys.upgrades import plain_columns_seal


BY = "tenants.0028_words_sealed"


def seal(apps, schema_editor):
    plain_columns_seal(apps, schema_editor, model="tenants.CountryExit", fields=["reason", "run_reason"], by=BY)
    plain_columns_seal(apps, schema_editor, model="tenants.MemberErasure", fields=["reason"], by=BY)
    plain_columns_seal(apps, schema_editor, model="tenants.Membership", fields=["job_title"], by=BY)


class Migration(migrations.Migration):
    dependencies = [("tenants", "0027_message_digests_keyed")]

    operations = [
        migrations.AlterField(
            model_name="countryexit",
            name="reason",
            field=tenants.keys.fields.EncryptedTextField(
                blank=True,
                default="",
                help_text="Why the country leaves, as the side that asked put it.",
                verbose_name="reason",
            ),
        ),
        migrations.AlterField(
            model_name="countryexit",
            name="run_reason",
            field=tenants.keys.fields.EncryptedTextField(
                blank=True,
                default="",
                help_text="Why the irreversible step was taken now.",
                verbose_name="reason for running it",
            ),
        ),
        migrations.AlterField(
            model_name="membererasure",
            name="reason",
            field=tenants.keys.fields.EncryptedTextField(blank=True, default="", verbose_name="reason"),
        ),
        migrations.AlterField(
            model_name="membership",
            name="job_title",
            field=tenants.keys.fields.EncryptedTextField(blank=True, default="", verbose_name="job title"),
        ),
        migrations.RunPython(seal, migrations.RunPython.noop),
    ]
