"""Leaving for real: the exit workflow (four eyes, waiting period), a country that left is
read-only (statuses "exiting" and "exited"), the key epoch every process checks before using a key,
a person's erasure and subject-access exports. The chains admit one change: the displayed name of
an erased person (actor_label, covered by no hash) replaced by their pseudonym, through
portal_ledger_relabel() only."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

from tenants.db import (
    LEDGER_RELABEL_FUNCTION,
    REFUSE_CHANGE_FUNCTION,
    RunPostgresSQL,
    enable_row_level_security,
    same_country_foreign_key,
)

PREVIOUS_REFUSE_CHANGE = r"""
CREATE OR REPLACE FUNCTION portal_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the event chain is append-only: % on % is refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END
$$;
"""


class Migration(migrations.Migration):
    dependencies = [("tenants", "0014_identity"), migrations.swappable_dependency(settings.AUTH_USER_MODEL)]

    operations = [
        migrations.CreateModel(
            name="CountryExit",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "state",
                    models.CharField(
                        choices=[
                            ("requested", "Waiting for the other side to confirm"),
                            ("confirmed", "Confirmed: waiting period"),
                            ("running", "Leaving: last export being made"),
                            ("failed", "Stopped: can be run again or cancelled"),
                            ("exited", "Left the programme"),
                            ("cancelled", "Cancelled"),
                        ],
                        default="requested",
                        max_length=10,
                    ),
                ),
                ("reason", models.TextField(help_text="Why the country leaves, as the side that asked put it.")),
                (
                    "requested_side",
                    models.CharField(
                        choices=[("country_admin", "The country"), ("platform", "The platform")], max_length=16
                    ),
                ),
                ("requested_at", models.DateTimeField(default=django.utils.timezone.now)),
                (
                    "confirmed_side",
                    models.CharField(
                        blank=True,
                        choices=[("country_admin", "The country"), ("platform", "The platform")],
                        max_length=16,
                    ),
                ),
                ("confirmed_at", models.DateTimeField(blank=True, null=True)),
                ("waiting_days", models.PositiveIntegerField(default=0)),
                ("effective_at", models.DateTimeField(blank=True, help_text="From when it can be run.", null=True)),
                (
                    "run_side",
                    models.CharField(
                        blank=True,
                        choices=[("country_admin", "The country"), ("platform", "The platform")],
                        max_length=16,
                    ),
                ),
                ("run_reason", models.TextField(blank=True, help_text="Why the irreversible step was taken now.")),
                ("run_at", models.DateTimeField(blank=True, null=True)),
                ("cancelled_at", models.DateTimeField(blank=True, null=True)),
                (
                    "previous_status",
                    models.CharField(blank=True, help_text="The country's status before it left.", max_length=20),
                ),
                ("step", models.CharField(blank=True, max_length=200)),
                ("percent", models.PositiveSmallIntegerField(default=0)),
                ("error", models.CharField(blank=True, max_length=500)),
                ("finished_at", models.DateTimeField(blank=True, null=True)),
            ],
            options={"ordering": ["-requested_at", "-id"], "abstract": False, "base_manager_name": "objects"},
        ),
        migrations.CreateModel(
            name="MemberErasure",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "state",
                    models.CharField(
                        choices=[
                            ("requested", "Waiting for a second country admin"),
                            ("done", "Erased"),
                            ("cancelled", "Cancelled"),
                        ],
                        default="requested",
                        max_length=10,
                    ),
                ),
                ("reason", models.TextField(blank=True)),
                ("requested_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("confirmed_at", models.DateTimeField(blank=True, null=True)),
                ("pseudonym", models.CharField(blank=True, max_length=40)),
                ("account_closed", models.BooleanField(default=False)),
                ("rows", models.JSONField(blank=True, default=dict, help_text="Rows changed, per table.")),
                (
                    "files_destroyed",
                    models.JSONField(blank=True, default=list, help_text="SHA-256 of each destroyed file."),
                ),
                ("certificate", models.TextField(blank=True, help_text="The signed certificate of erasure (JSON).")),
                ("certificate_signature", models.CharField(blank=True, max_length=128)),
            ],
            options={"ordering": ["-requested_at", "-id"], "abstract": False, "base_manager_name": "objects"},
        ),
        migrations.CreateModel(
            name="SubjectAccessExport",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "state",
                    models.CharField(
                        choices=[
                            ("pending", "Waiting for a worker"),
                            ("running", "Being built"),
                            ("done", "Ready"),
                            ("failed", "Failed"),
                        ],
                        default="pending",
                        max_length=10,
                    ),
                ),
                (
                    "file_name",
                    models.CharField(blank=True, help_text="Its name in the default storage.", max_length=200),
                ),
                ("size", models.BigIntegerField(default=0)),
                ("sha256", models.CharField(blank=True, max_length=64)),
                ("error", models.CharField(blank=True, max_length=500)),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("finished_at", models.DateTimeField(blank=True, null=True)),
                ("expires_at", models.DateTimeField(blank=True, null=True)),
            ],
            options={"ordering": ["-created_at", "-id"], "abstract": False, "base_manager_name": "objects"},
        ),
        migrations.AddField(
            model_name="country",
            name="key_epoch",
            field=models.PositiveIntegerField(db_default=0, default=0, editable=False),
        ),
        migrations.AddField(
            model_name="country",
            name="left_at",
            field=models.DateTimeField(blank=True, editable=False, help_text="When it left the programme.", null=True),
        ),
        migrations.AddField(
            model_name="platformsettings",
            name="exit_waiting_days",
            field=models.PositiveIntegerField(
                default=30,
                help_text="Days between the confirmation of a country's exit (by its admin and a platform admin) and the moment its data can be exported for the last time and its keys destroyed. Either side can cancel until then.",
            ),
        ),
        migrations.AlterField(
            model_name="country",
            name="status",
            field=models.CharField(
                choices=[
                    ("prospective", "Prospective"),
                    ("onboarding", "Onboarding"),
                    ("active", "Active"),
                    ("suspended", "Suspended"),
                    ("exiting", "Leaving the programme"),
                    ("exited", "Left the programme"),
                ],
                default="prospective",
                max_length=20,
            ),
        ),
        migrations.AddConstraint(
            model_name="countryexport",
            constraint=models.UniqueConstraint(fields=("country", "id"), name="tenants_export_country_id_uniq"),
        ),
        migrations.AddField(
            model_name="countryexit",
            name="cancelled_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="countryexit",
            name="confirmed_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="countryexit",
            name="country",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT, related_name="+", to="tenants.country"
            ),
        ),
        migrations.AddField(
            model_name="countryexit",
            name="export",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="tenants.countryexport",
            ),
        ),
        migrations.AddField(
            model_name="countryexit",
            name="requested_by",
            field=models.ForeignKey(
                null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="+", to=settings.AUTH_USER_MODEL
            ),
        ),
        migrations.AddField(
            model_name="countryexit",
            name="run_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="membererasure",
            name="cancelled_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="membererasure",
            name="confirmed_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="membererasure",
            name="country",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT, related_name="+", to="tenants.country"
            ),
        ),
        migrations.AddField(
            model_name="membererasure",
            name="membership",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="tenants.membership",
            ),
        ),
        migrations.AddField(
            model_name="membererasure",
            name="requested_by",
            field=models.ForeignKey(
                null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="+", to=settings.AUTH_USER_MODEL
            ),
        ),
        migrations.AddField(
            model_name="membererasure",
            name="subject",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="subjectaccessexport",
            name="country",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT, related_name="+", to="tenants.country"
            ),
        ),
        migrations.AddField(
            model_name="subjectaccessexport",
            name="requested_by",
            field=models.ForeignKey(
                null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="+", to=settings.AUTH_USER_MODEL
            ),
        ),
        migrations.AddField(
            model_name="subjectaccessexport",
            name="subject",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE, related_name="+", to=settings.AUTH_USER_MODEL
            ),
        ),
        migrations.AddConstraint(
            model_name="countryexit",
            constraint=models.UniqueConstraint(
                condition=models.Q(("state__in", ["requested", "confirmed", "running", "failed"])),
                fields=("country",),
                name="tenants_exit_one_open_per_country",
            ),
        ),
        migrations.AddConstraint(
            model_name="membererasure",
            constraint=models.UniqueConstraint(
                condition=models.Q(("state", "requested")),
                fields=("country", "subject"),
                name="tenants_erasure_one_open_per_person",
            ),
        ),
        enable_row_level_security("tenants_countryexit"),
        enable_row_level_security("tenants_membererasure"),
        enable_row_level_security("tenants_subjectaccessexport"),
        same_country_foreign_key("tenants_countryexit", "export_id", "tenants_countryexport"),
        same_country_foreign_key("tenants_membererasure", "membership_id", "tenants_membership"),
        RunPostgresSQL(REFUSE_CHANGE_FUNCTION, reverse_sql=PREVIOUS_REFUSE_CHANGE),
        RunPostgresSQL(
            LEDGER_RELABEL_FUNCTION,
            reverse_sql="DROP FUNCTION IF EXISTS portal_ledger_relabel(bigint, bigint, varchar)",
        ),
    ]
