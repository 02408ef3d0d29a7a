"""The shipped frameworks, loaded from their YAML files (governance/frameworks/library/)."""

from django.db import migrations


def load_library(apps, schema_editor):
    """The shipped frameworks from their YAML files. On a database that ran 0002, the four
    frameworks it made are updated in place (same slug, version 1, same requirement codes), so
    every country's statuses, owners and evidence stay attached; the rest is added."""
    from governance.frameworks.loading import Models, shipped_load

    shipped_load(Models.historical(apps))


class Migration(migrations.Migration):
    dependencies = [("governance", "0004_frameworks_as_data")]

    operations = [migrations.RunPython(load_library, migrations.RunPython.noop)]
