"""A message's digest on the record is keyed: each conversation gets a digest key (sealed under the
country's key; a conversation begun before gets one at its next message), and a message keeps the
HMAC-SHA256 of its text under it in `digest`. The plain SHA-256 already stored (`sha256`) stays for
the messages written before, as their events on the chain hold it; new messages leave it empty. Both
columns default to empty in the database, so the release before keeps writing during the upgrade."""

import tenants.keys.fields
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("tenants", "0026_exit_reason_as_code")]

    operations = [
        migrations.AddField(
            model_name="conversation",
            name="digest_key",
            field=tenants.keys.fields.EncryptedTextField(
                blank=True,
                db_default="",
                default="",
                help_text="Hex of 32 random bytes: the key of the HMAC-SHA256 of each message's text.",
                verbose_name="key of its messages' digests",
            ),
        ),
        migrations.AddField(
            model_name="message",
            name="digest",
            field=models.CharField(
                blank=True,
                db_default="",
                help_text="HMAC-SHA256 of the text under its conversation's key, as on the record.",
                max_length=64,
            ),
        ),
        migrations.AlterField(
            model_name="message",
            name="sha256",
            field=models.CharField(
                blank=True, db_default="", help_text="SHA-256 of the text (older messages only).", max_length=64
            ),
        ),
    ]
