"""Engagements move out of the tenants app into an app of their own. Their tables already exist
(created by tenants 0008): this migration only takes them into the engagements app's state, and
moves their content types (and with them every permission and admin log entry) along. The tables
keep their names: sealed values are bound to their table's name."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

import tenants.keys.fields

MODELS = ("engagement", "engagementterms", "engagementtransition")


def move_content_types(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    db = schema_editor.connection.alias
    for model in MODELS:
        # On a new database no content type exists yet (post_migrate creates them): nothing to move.
        if not ContentType.objects.using(db).filter(app_label="engagements", model=model).exists():
            ContentType.objects.using(db).filter(app_label="tenants", model=model).update(app_label="engagements")


def move_content_types_back(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    db = schema_editor.connection.alias
    for model in MODELS:
        if not ContentType.objects.using(db).filter(app_label="tenants", model=model).exists():
            ContentType.objects.using(db).filter(app_label="engagements", model=model).update(app_label="tenants")


STATE = [
    migrations.CreateModel(
        name="Engagement",
        fields=[
            ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
            (
                "state",
                models.CharField(
                    choices=[
                        ("draft", "Draft"),
                        ("submitted", "Submitted"),
                        ("in_review", "In review"),
                        ("approved", "Approved"),
                        ("active", "Active"),
                        ("suspended", "Suspended"),
                        ("closed", "Closed"),
                        ("rejected", "Rejected"),
                    ],
                    default="draft",
                    max_length=12,
                ),
            ),
            (
                "amendment",
                models.CharField(
                    blank=True,
                    choices=[("", "None"), ("draft", "Draft"), ("submitted", "Submitted"), ("in_review", "In review")],
                    default="",
                    max_length=12,
                ),
            ),
            ("submitted_at", models.DateTimeField(blank=True, help_text="When it last entered review.", null=True)),
            ("reminded_at", models.DateTimeField(blank=True, null=True)),
            ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
            ("updated_at", models.DateTimeField(default=django.utils.timezone.now)),
            (
                "country",
                models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="+", to="tenants.country"),
            ),
            (
                "created_by",
                models.ForeignKey(
                    null=True,
                    on_delete=django.db.models.deletion.SET_NULL,
                    related_name="+",
                    to=settings.AUTH_USER_MODEL,
                ),
            ),
            (
                "organisation",
                models.ForeignKey(
                    help_text="The organisation that applies on the country's behalf.",
                    on_delete=django.db.models.deletion.PROTECT,
                    related_name="engagements",
                    to="tenants.organisation",
                ),
            ),
            (
                "submitted_by",
                models.ForeignKey(
                    blank=True,
                    null=True,
                    on_delete=django.db.models.deletion.SET_NULL,
                    related_name="+",
                    to=settings.AUTH_USER_MODEL,
                ),
            ),
        ],
        options={
            "ordering": ["-created_at", "-id"],
            "abstract": False,
            "base_manager_name": "objects",
            "db_table": "tenants_engagement",
        },
    ),
    migrations.CreateModel(
        name="EngagementTerms",
        fields=[
            ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
            ("version", models.PositiveIntegerField()),
            ("sectors", models.JSONField(default=list, help_text="Sector values in scope.")),
            ("capabilities", models.JSONField(default=list, help_text="Capability values allowed.")),
            (
                "residency_region",
                models.CharField(
                    choices=[
                        ("eu-west", "Europe (West)"),
                        ("eu-north", "Europe (North)"),
                        ("af-east", "Africa (East)"),
                        ("sa-east", "South America (East)"),
                        ("ap-south", "Asia Pacific (South)"),
                        ("me-central", "Middle East (Central)"),
                        ("na-east", "North America (East)"),
                    ],
                    max_length=20,
                ),
            ),
            (
                "monthly_token_quota",
                models.BigIntegerField(help_text="Tokens a month across the country's deployments."),
            ),
            ("start_date", models.DateField()),
            ("end_date", models.DateField(blank=True, null=True)),
            (
                "economic_model",
                models.CharField(
                    choices=[("fixed", "Fixed fee"), ("usage_based", "Usage-based"), ("grant", "Grant or sponsored")],
                    max_length=12,
                ),
            ),
            ("conditions", tenants.keys.fields.EncryptedTextField(blank=True, default="", verbose_name="conditions")),
            ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
            (
                "country",
                models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="+", to="tenants.country"),
            ),
            (
                "created_by",
                models.ForeignKey(
                    null=True,
                    on_delete=django.db.models.deletion.SET_NULL,
                    related_name="+",
                    to=settings.AUTH_USER_MODEL,
                ),
            ),
            (
                "engagement",
                models.ForeignKey(
                    on_delete=django.db.models.deletion.PROTECT, related_name="versions", to="engagements.engagement"
                ),
            ),
        ],
        options={
            "verbose_name_plural": "engagement terms",
            "ordering": ["engagement", "-version"],
            "abstract": False,
            "base_manager_name": "objects",
            "db_table": "tenants_engagementterms",
        },
    ),
    migrations.AddField(
        model_name="engagement",
        name="approved_terms",
        field=models.ForeignKey(
            blank=True,
            help_text="The version in force, pinned at approval.",
            null=True,
            on_delete=django.db.models.deletion.PROTECT,
            related_name="+",
            to="engagements.engagementterms",
        ),
    ),
    migrations.CreateModel(
        name="EngagementTransition",
        fields=[
            ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
            ("action", models.CharField(max_length=20)),
            ("from_state", models.CharField(max_length=12)),
            ("to_state", models.CharField(max_length=12)),
            ("amendment", models.BooleanField(default=False, help_text="Part of the review of a change of terms.")),
            ("terms_version", models.PositiveIntegerField(blank=True, null=True)),
            ("by_role", models.CharField(max_length=20)),
            ("comment", models.TextField(blank=True)),
            ("at", models.DateTimeField(default=django.utils.timezone.now)),
            (
                "by",
                models.ForeignKey(
                    null=True,
                    on_delete=django.db.models.deletion.SET_NULL,
                    related_name="+",
                    to=settings.AUTH_USER_MODEL,
                ),
            ),
            (
                "country",
                models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="+", to="tenants.country"),
            ),
            (
                "engagement",
                models.ForeignKey(
                    on_delete=django.db.models.deletion.PROTECT, related_name="transitions", to="engagements.engagement"
                ),
            ),
        ],
        options={
            "ordering": ["-at", "-id"],
            "abstract": False,
            "base_manager_name": "objects",
            "db_table": "tenants_engagementtransition",
        },
    ),
    migrations.AddConstraint(
        model_name="engagementterms",
        constraint=models.UniqueConstraint(fields=("country", "id"), name="tenants_engterms_country_id_uniq"),
    ),
    migrations.AddConstraint(
        model_name="engagementterms",
        constraint=models.UniqueConstraint(fields=("engagement", "version"), name="tenants_engterms_version_uniq"),
    ),
    migrations.AddIndex(
        model_name="engagement",
        index=models.Index(fields=["country", "state", "submitted_at"], name="tenants_eng_country_state_idx"),
    ),
    migrations.AddConstraint(
        model_name="engagement",
        constraint=models.UniqueConstraint(fields=("country", "id"), name="tenants_engagement_country_id_uniq"),
    ),
    migrations.AddConstraint(
        model_name="engagement",
        constraint=models.UniqueConstraint(
            condition=models.Q(("state__in", ["closed", "rejected"]), _negated=True),
            fields=("country",),
            name="tenants_engagement_one_current",
        ),
    ),
    migrations.AddIndex(
        model_name="engagementtransition",
        index=models.Index(fields=["country", "engagement", "at"], name="tenants_engtr_country_eng_idx"),
    ),
]


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("tenants", "0010_refuse_truncate"),
        ("contenttypes", "0002_remove_content_type_name"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=STATE, database_operations=[]),
        migrations.RunPython(move_content_types, move_content_types_back),
    ]
