"""Loads the programme's policy templates (governance/catalogue.py). The frameworks it first loaded
here from Python are loaded from their YAML files by 0004, which updates the rows this migration
made on databases that ran it before."""

from django.db import migrations


def forwards(apps, schema_editor):
    from governance import catalogue

    catalogue.load_policy_templates(apps)


class Migration(migrations.Migration):
    dependencies = [("governance", "0001_initial")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
