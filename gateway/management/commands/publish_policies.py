"""python manage.py publish_policies — publish every environment's gateway policy again."""

from django.core.management.base import BaseCommand

from deployments.policy import policies_republish


class Command(BaseCommand):
    help = (
        "Publish every environment's gateway policy again, with a new version: after GATEWAY_POLICY_KEY "
        "changed, or after Redis lost its data without waiting for beat's check (every minute, it publishes "
        "again the policies Redis lacks). The workers publish them from the outbox within seconds; until then "
        "the gateway refuses the environments' calls."
    )

    def handle(self, *args, **options):
        count, skipped = policies_republish()
        self.stdout.write(f"{count} environment policies queued for publishing (the workers publish them).")
        if skipped:
            self.stdout.write(f"Skipped, left or leaving the programme: {', '.join(skipped)}.")
