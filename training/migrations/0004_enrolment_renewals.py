"""Renewals: a person enrols again in a programme whose certificate expired or expires soon. The new
enrolment names the one it renews (in the same country: a composite key), which stays as their
history; one enrolment per person and programme is current."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from tenants.db import same_country_foreign_key


class Migration(migrations.Migration):
    dependencies = [
        ("tenants", "0033_merge_20261204_1359"),
        ("training", "0003_verbose_names"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveConstraint(model_name="enrolment", name="training_enrolment_user_prog_uniq"),
        migrations.RemoveConstraint(model_name="enrolment", name="training_enrolment_user_local_uniq"),
        migrations.AddField(
            model_name="enrolment",
            name="current",
            field=models.BooleanField(
                db_default=True,
                default=True,
                help_text="False once a renewal took its place: it is then the person's history.",
                verbose_name="current",
            ),
        ),
        migrations.AddField(
            model_name="enrolment",
            name="renews",
            field=models.OneToOneField(
                blank=True,
                help_text="The earlier enrolment whose certificate this one renews.",
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="renewal",
                to="training.enrolment",
                verbose_name="renews",
            ),
        ),
        migrations.AddConstraint(
            model_name="enrolment",
            constraint=models.UniqueConstraint(
                condition=models.Q(("current", True)),
                fields=("country", "user", "programme"),
                name="training_enrolment_user_prog_uniq",
            ),
        ),
        migrations.AddConstraint(
            model_name="enrolment",
            constraint=models.UniqueConstraint(
                condition=models.Q(("current", True)),
                fields=("country", "user", "local_programme"),
                name="training_enrolment_user_local_uniq",
            ),
        ),
        same_country_foreign_key("training_enrolment", "renews_id", "training_enrolment"),
    ]
