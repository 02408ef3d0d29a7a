"""The moment from which a country's provider's vouching counts: moved on by every change that
withdraws trust (tenants.identity.providers.trust_withdrawn). Providers already there count from
their creation, so that vouching given before this upgrade stands as it did."""

import django.db.models.functions.datetime
import django.utils.timezone
from django.db import migrations, models
from django.db.models import F

from tenants.db import every_country_open


def since_creation(apps, schema_editor):
    every_country_open(apps, schema_editor)
    apps.get_model("tenants", "IdentityProvider").objects.update(vouching_since=F("created_at"))


class Migration(migrations.Migration):
    dependencies = [("tenants", "0033_merge_20261204_1359")]

    operations = [
        migrations.AddField(
            model_name="identityprovider",
            name="vouching_since",
            field=models.DateTimeField(
                db_default=django.db.models.functions.datetime.Now(),
                default=django.utils.timezone.now,
                verbose_name="vouching counts from",
            ),
        ),
        migrations.RunPython(since_creation, migrations.RunPython.noop),
    ]
