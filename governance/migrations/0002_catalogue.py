"""Loads the programme's policy templates and framework requirements (governance/catalogue.py)."""

from django.db import migrations


def forwards(apps, schema_editor):
    from governance import catalogue

    catalogue.load(apps)


class Migration(migrations.Migration):
    dependencies = [("governance", "0001_initial")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
