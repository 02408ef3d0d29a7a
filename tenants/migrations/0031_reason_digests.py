"""A reason on the record carries a keyed digest: each country gets a reason digest key (sealed under
its key, row-level secured, one per country, made at its first reason), and the events that name a
reason carry the HMAC-SHA256 of its text under it (`reason_hmac`). Events recorded before keep only
the reason's id: the chain is never rewritten."""

import django.db.models.deletion
import django.utils.timezone
import tenants.keys.fields
from django.db import migrations, models

from tenants.db import enable_row_level_security


class Migration(migrations.Migration):
    dependencies = [("tenants", "0030_password_reset_request_names")]

    operations = [
        migrations.CreateModel(
            name="ReasonDigestKey",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "digest_key",
                    tenants.keys.fields.EncryptedTextField(
                        blank=True,
                        default="",
                        help_text="Hex of 32 random bytes: the key of the HMAC-SHA256 of each reason's text.",
                        verbose_name="key of its reasons' digests",
                    ),
                ),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                (
                    "country",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="+", to="tenants.country"
                    ),
                ),
            ],
            options={
                "verbose_name": "key of the reasons' digests",
                "verbose_name_plural": "keys of the reasons' digests",
                "abstract": False,
                "base_manager_name": "objects",
                "constraints": [models.UniqueConstraint(fields=("country",), name="tenants_reasonkey_one_per_country")],
            },
        ),
        enable_row_level_security("tenants_reasondigestkey"),
    ]
