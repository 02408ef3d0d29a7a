"""Outgoing mail is sent at most once: a worker records when it begins handing a mail to the mail
server (committed before it does), so a job delivered again after a worker died mid-send sends
nothing."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("tenants", "0019_country_time_zone_checked")]

    operations = [
        migrations.AddField(
            model_name="outgoingmail",
            name="sending_at",
            field=models.DateTimeField(
                blank=True,
                null=True,
                help_text="When a worker began handing it to the mail server; cleared if the server refused it.",
            ),
        )
    ]
