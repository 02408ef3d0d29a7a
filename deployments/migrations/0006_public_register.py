"""The public register of AI systems (deployments/register/): entries and their versions, row-level
security with each country's policy, and a second, read-only policy for the public reading mode
(tenants.isolation.public_country_context) that admits only what is published: entries that are
published or withdrawn (a withdrawn entry shows its name, dates and reason only), and the
published or superseded versions of published entries, never a draft. Also the EU database URL of
a catalogue model, cited in the EU registration pack."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

from tenants.db import enable_row_level_security, public_rows, same_country_foreign_key


class Migration(migrations.Migration):
    dependencies = [
        ("deployments", "0005_request_submitted_by"),
        ("tenants", "0013_outgoing_mail"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="aimodel",
            name="eu_database_url",
            field=models.URLField(
                blank=True,
                help_text="The URL of the provider's entry for this system in the EU database (EU AI Act Art. 49(1)), which public deployers in the EU cite when they register their use.",
                max_length=500,
                verbose_name="EU database entry",
            ),
        ),
        migrations.CreateModel(
            name="RegisterEntry",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "state",
                    models.CharField(
                        choices=[
                            ("draft", "Draft, never published"),
                            ("published", "Published"),
                            ("withdrawn", "Withdrawn"),
                        ],
                        default="draft",
                        max_length=10,
                    ),
                ),
                ("public_name", models.CharField(blank=True, max_length=200)),
                ("public_language", models.CharField(blank=True, max_length=12)),
                ("first_published_at", models.DateTimeField(blank=True, null=True)),
                ("last_published_at", models.DateTimeField(blank=True, null=True)),
                ("withdrawn_at", models.DateTimeField(blank=True, null=True)),
                (
                    "withdrawal_reason",
                    models.TextField(blank=True, help_text="Shown to the public with the withdrawal."),
                ),
                ("named_contact_at", models.DateTimeField(blank=True, null=True)),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                (
                    "country",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="+", to="tenants.country"
                    ),
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
                    "named_contact",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "request",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="register_entry",
                        to="deployments.deploymentrequest",
                    ),
                ),
            ],
            options={
                "verbose_name_plural": "register entries",
                "ordering": ["public_name", "id"],
                "abstract": False,
                "base_manager_name": "objects",
            },
        ),
        migrations.CreateModel(
            name="RegisterVersion",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("number", models.PositiveIntegerField()),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("draft", "Draft"),
                            ("published", "Published"),
                            ("superseded", "Replaced by a later version"),
                        ],
                        default="draft",
                        max_length=10,
                    ),
                ),
                (
                    "language",
                    models.CharField(help_text="BCP 47 tag of the language the texts are written in.", max_length=12),
                ),
                ("name", models.CharField(max_length=200)),
                ("summary", models.TextField(help_text="What it does, in plain language.")),
                ("purpose", models.TextField(help_text="Why it is used: the problem it helps with and the benefit.")),
                (
                    "how_to_ask",
                    models.TextField(help_text="How to ask a question, ask for a person to review, or complain."),
                ),
                (
                    "contact_email",
                    models.EmailField(
                        blank=True, help_text="A team or role mailbox, never a person's own address.", max_length=254
                    ),
                ),
                ("website", models.URLField(blank=True, max_length=500)),
                (
                    "accountable_role",
                    models.CharField(help_text="The role that answers for it, not a name.", max_length=200),
                ),
                ("team", models.CharField(blank=True, max_length=200)),
                (
                    "human_oversight",
                    models.TextField(help_text="Who reviews outputs, when, and with what power to override."),
                ),
                ("data_description", models.TextField(help_text="The data it uses and where that data comes from.")),
                ("risks_mitigations", models.TextField(blank=True)),
                (
                    "alternatives",
                    models.TextField(blank=True, help_text="What was done before, and other options considered."),
                ),
                (
                    "change_note",
                    models.CharField(blank=True, help_text="What changed since the last version.", max_length=500),
                ),
                (
                    "drawn",
                    models.JSONField(
                        blank=True, default=dict, help_text="The portal's facts, captured at publication."
                    ),
                ),
                ("drafted_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("updated_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("published_at", models.DateTimeField(blank=True, null=True)),
                (
                    "country",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="+", to="tenants.country"
                    ),
                ),
                (
                    "drafted_by",
                    models.ForeignKey(
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "entry",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="versions",
                        to="deployments.registerentry",
                    ),
                ),
                (
                    "published_by",
                    models.ForeignKey(
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={"ordering": ["entry", "-number"], "abstract": False, "base_manager_name": "objects"},
        ),
        migrations.AddIndex(
            model_name="registerentry", index=models.Index(fields=["country", "state"], name="dep_regentry_state_idx")
        ),
        migrations.AddConstraint(
            model_name="registerentry",
            constraint=models.UniqueConstraint(fields=("country", "id"), name="dep_regentry_country_id_uniq"),
        ),
        migrations.AddIndex(
            model_name="registerversion",
            index=models.Index(fields=["country", "status"], name="dep_regversion_status_idx"),
        ),
        migrations.AddConstraint(
            model_name="registerversion",
            constraint=models.UniqueConstraint(fields=("country", "id"), name="dep_regversion_country_id_uniq"),
        ),
        migrations.AddConstraint(
            model_name="registerversion",
            constraint=models.UniqueConstraint(fields=("entry", "number"), name="dep_regversion_number_uniq"),
        ),
        migrations.AddConstraint(
            model_name="registerversion",
            constraint=models.UniqueConstraint(
                condition=models.Q(("status", "draft")), fields=("entry",), name="dep_regversion_one_draft"
            ),
        ),
        migrations.AddConstraint(
            model_name="registerversion",
            constraint=models.UniqueConstraint(
                condition=models.Q(("status", "published")), fields=("entry",), name="dep_regversion_one_published"
            ),
        ),
        enable_row_level_security("deployments_registerentry"),
        enable_row_level_security("deployments_registerversion"),
        same_country_foreign_key("deployments_registerentry", "request_id", "deployments_deploymentrequest"),
        same_country_foreign_key("deployments_registerversion", "entry_id", "deployments_registerentry"),
        public_rows("deployments_registerentry", "state IN ('published', 'withdrawn')"),
        public_rows(
            "deployments_registerversion",
            "status IN ('published', 'superseded') AND EXISTS (SELECT 1 FROM deployments_registerentry e "
            "WHERE e.id = entry_id AND e.country_id = deployments_registerversion.country_id "
            "AND e.state = 'published')",
        ),
    ]
