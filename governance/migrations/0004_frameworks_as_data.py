"""Frameworks as data (docs/frameworks.md): versions, requirement trees with references, and
mappings between frameworks. The shipped frameworks are loaded from their YAML files by 0005."""

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("governance", "0003_shared_policy_names_its_source")]

    operations = [
        migrations.CreateModel(
            name="RequirementMapping",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "relationship",
                    models.CharField(
                        choices=[
                            ("equal", "Equal: the two ask the same"),
                            ("superset", "Superset: the source asks all the target asks, and more"),
                            ("subset", "Subset: the source asks part of what the target asks"),
                            ("intersect", "Intersect: they overlap"),
                        ],
                        max_length=10,
                    ),
                ),
                ("note", models.CharField(blank=True, max_length=500)),
            ],
            options={"ordering": ["source", "target"]},
        ),
        migrations.AlterModelOptions(name="framework", options={"ordering": ["name", "-version"]}),
        migrations.AddField(
            model_name="framework",
            name="content_sha256",
            field=models.CharField(blank=True, help_text="SHA-256 of the file last loaded.", max_length=64),
        ),
        migrations.AddField(model_name="framework", name="description", field=models.TextField(blank=True)),
        migrations.AddField(
            model_name="framework", name="imported_at", field=models.DateTimeField(default=django.utils.timezone.now)
        ),
        migrations.AddField(
            model_name="framework",
            name="is_current",
            field=models.BooleanField(default=True, help_text="The version offered for new work."),
        ),
        migrations.AddField(
            model_name="framework",
            name="language",
            field=models.CharField(default="en", help_text="Language of the names and texts.", max_length=12),
        ),
        migrations.AddField(
            model_name="framework",
            name="origin",
            field=models.CharField(
                choices=[
                    ("shipped", "Shipped with the portal"),
                    ("imported", "Imported from a framework file"),
                    ("ciso_assistant", "Imported from a CISO Assistant library"),
                ],
                default="shipped",
                max_length=16,
            ),
        ),
        migrations.AddField(
            model_name="framework",
            name="publisher",
            field=models.CharField(blank=True, help_text="Who issued the source document.", max_length=200),
        ),
        migrations.AddField(
            model_name="framework",
            name="source_title",
            field=models.CharField(blank=True, help_text="The source document.", max_length=300),
        ),
        migrations.AddField(
            model_name="framework",
            name="source_url",
            field=models.URLField(blank=True, help_text="Where the official text is.", max_length=500),
        ),
        migrations.AddField(
            model_name="framework",
            name="urn",
            field=models.CharField(
                blank=True, help_text="Identifier in the file it came from, if any.", max_length=255
            ),
        ),
        migrations.AddField(model_name="framework", name="version", field=models.PositiveIntegerField(default=1)),
        migrations.AddField(
            model_name="requirement",
            name="assessable",
            field=models.BooleanField(default=True, help_text="False for a heading that groups requirements."),
        ),
        migrations.AddField(model_name="requirement", name="depth", field=models.PositiveSmallIntegerField(default=1)),
        migrations.AddField(model_name="requirement", name="description", field=models.TextField(blank=True)),
        migrations.AddField(
            model_name="requirement",
            name="parent",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="children",
                to="governance.requirement",
            ),
        ),
        migrations.AddField(
            model_name="requirement",
            name="references",
            field=models.JSONField(
                blank=True,
                default=list,
                help_text="[{document, locator, url}]: the passages of the source it rests on.",
            ),
        ),
        migrations.AddField(model_name="requirement", name="urn", field=models.CharField(blank=True, max_length=255)),
        migrations.AlterField(model_name="framework", name="name", field=models.CharField(max_length=200)),
        migrations.AlterField(model_name="framework", name="slug", field=models.SlugField(max_length=40)),
        migrations.AlterField(model_name="requirement", name="code", field=models.SlugField(max_length=100)),
        migrations.AlterField(model_name="requirement", name="position", field=models.PositiveIntegerField(default=0)),
        migrations.AlterField(
            model_name="requirement",
            name="reference",
            field=models.CharField(
                blank=True, help_text='Where it comes from, e.g. "EU AI Act Art. 9".', max_length=200
            ),
        ),
        migrations.AlterField(model_name="requirement", name="title", field=models.CharField(max_length=500)),
        migrations.AddConstraint(
            model_name="framework",
            constraint=models.UniqueConstraint(fields=("slug", "version"), name="gov_framework_version_uniq"),
        ),
        migrations.AddConstraint(
            model_name="framework",
            constraint=models.UniqueConstraint(
                condition=models.Q(("is_current", True)), fields=("slug",), name="gov_framework_current_uniq"
            ),
        ),
        migrations.AddField(
            model_name="requirementmapping",
            name="source",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE, related_name="mappings_out", to="governance.requirement"
            ),
        ),
        migrations.AddField(
            model_name="requirementmapping",
            name="target",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE, related_name="mappings_in", to="governance.requirement"
            ),
        ),
        migrations.AddConstraint(
            model_name="requirementmapping",
            constraint=models.UniqueConstraint(fields=("source", "target"), name="gov_mapping_pair_uniq"),
        ),
        migrations.AddConstraint(
            model_name="requirementmapping",
            constraint=models.CheckConstraint(
                condition=models.Q(("source", models.F("target")), _negated=True), name="gov_mapping_not_itself"
            ),
        ),
    ]
