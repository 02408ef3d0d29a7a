"""The shared-policy library names its source country instead of pointing at it: a platform table
with no key into country-owned data (and so no country_id to secure)."""

from django.db import migrations, models


def name_sources(apps, schema_editor):
    SharedPolicy = apps.get_model("governance", "SharedPolicy")
    Country = apps.get_model("tenants", "Country")
    for shared in SharedPolicy.objects.all():
        country = Country.objects.get(pk=shared.source_country_id)
        shared.source_country_code, shared.source_country_name = country.code, country.name
        shared.save(update_fields=["source_country_code", "source_country_name"])


class Migration(migrations.Migration):
    dependencies = [("governance", "0002_catalogue"), ("tenants", "0007_membership_window_for_owner")]

    operations = [
        migrations.RemoveConstraint(model_name="sharedpolicy", name="gov_shared_source_uniq"),
        migrations.AddField(
            model_name="sharedpolicy",
            name="source_country_code",
            field=models.CharField(default="", max_length=2),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="sharedpolicy",
            name="source_country_name",
            field=models.CharField(default="", max_length=100),
            preserve_default=False,
        ),
        migrations.RunPython(name_sources, migrations.RunPython.noop),
        migrations.RemoveField(model_name="sharedpolicy", name="source_country"),
        migrations.AddConstraint(
            model_name="sharedpolicy",
            constraint=models.UniqueConstraint(
                fields=("source_country_code", "source_policy_id"), name="gov_shared_source_uniq"
            ),
        ),
    ]
