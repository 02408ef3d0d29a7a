"""Every NOT NULL column added since the first release gets its default in the database as well as in
Python, so that the release before, which inserts rows without the columns it does not know, keeps
working while a rolling upgrade runs (tests/test_rolling_upgrade.py)."""

import tenants.keys.fields
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("tenants", "0026_exit_reason_as_code")]

    operations = [
        migrations.AlterField(
            model_name="apitoken", name="country_ids", field=models.JSONField(blank=True, db_default=[], default=list)
        ),
        migrations.AlterField(
            model_name="apitoken",
            name="kind",
            field=models.CharField(
                choices=[("issued", "Issued at sign-in"), ("personal", "Personal access token")],
                db_default="issued",
                default="issued",
                max_length=10,
            ),
        ),
        migrations.AlterField(
            model_name="apitoken", name="name", field=models.CharField(blank=True, db_default="", max_length=100)
        ),
        migrations.AlterField(
            model_name="apitoken", name="read_only", field=models.BooleanField(db_default=False, default=False)
        ),
        migrations.AlterField(
            model_name="apitoken", name="revoke_reason", field=models.TextField(blank=True, db_default="")
        ),
        migrations.AlterField(
            model_name="countryexit",
            name="error_params",
            field=models.JSONField(blank=True, db_default={}, default=dict),
        ),
        migrations.AlterField(
            model_name="countryexit",
            name="step_params",
            field=models.JSONField(blank=True, db_default={}, default=dict),
        ),
        migrations.AlterField(
            model_name="countryexport",
            name="step_params",
            field=models.JSONField(blank=True, db_default={}, default=dict),
        ),
        migrations.AlterField(
            model_name="invitation",
            name="invited_email",
            field=tenants.keys.fields.EncryptedTextField(
                blank=True, db_default="", default="", verbose_name="address invited"
            ),
        ),
        migrations.AlterField(
            model_name="invitation",
            name="invited_first_name",
            field=tenants.keys.fields.EncryptedTextField(
                blank=True, db_default="", default="", verbose_name="first name typed by the inviting admin"
            ),
        ),
        migrations.AlterField(
            model_name="invitation",
            name="invited_last_name",
            field=tenants.keys.fields.EncryptedTextField(
                blank=True, db_default="", default="", verbose_name="last name typed by the inviting admin"
            ),
        ),
        migrations.AlterField(
            model_name="outboxmessage",
            name="request_id",
            field=models.CharField(
                blank=True,
                db_default="",
                help_text="The request that caused the job, carried into the task's logs.",
                max_length=64,
            ),
        ),
        migrations.AlterField(
            model_name="platformoutboxmessage",
            name="request_id",
            field=models.CharField(
                blank=True,
                db_default="",
                help_text="The request that caused the job, carried into the task's logs.",
                max_length=64,
            ),
        ),
        migrations.AlterField(
            model_name="platformsettings",
            name="exit_waiting_days",
            field=models.PositiveIntegerField(
                db_default=30,
                default=30,
                help_text="Days between the confirmation of a country's exit (by its admin and a platform admin) and the moment its data can be exported for the last time and its keys destroyed. Either side can cancel until then.",
            ),
        ),
    ]
