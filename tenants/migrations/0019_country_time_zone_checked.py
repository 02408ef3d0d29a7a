"""A country's time zone must be one the IANA database knows (checked when it is set)."""

import tenants.models
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("tenants", "0018_languages_and_time_zones")]

    operations = [
        migrations.AlterField(
            model_name="country",
            name="time_zone",
            field=models.CharField(
                db_default="UTC",
                default="UTC",
                help_text="The IANA time zone its people read times in, e.g. Europe/Paris; each person may choose their own.",
                max_length=64,
                validators=[tenants.models.time_zone_validator],
                verbose_name="time zone",
            ),
        )
    ]
