"""python manage.py seed_demo — the demo countries, people and history of DESIGN §8 (idempotent)."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from deployments import demo as deployments_demo
from deployments.register import demo as register_demo
from engagements import demo as engagement_demo
from governance import demo as governance_demo
from tenants import demo as tenants_demo
from tenants.identity import demo as identity_demo
from training import demo as training_demo

# The password written in the README: only ever used with DEBUG on.
PUBLIC_DEMO_PASSWORD = "portal-demo-2026"


class Command(BaseCommand):
    help = "Create the demo countries (FR, KE, EE, BR), organisations, accounts and their history. Idempotent."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="Run even when DEBUG is off.")

    def handle(self, *args, force: bool = False, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "seed_demo creates accounts with a known password; it runs only with DEBUG on, or with --force."
            )
        if settings.PRODUCTION and settings.DEMO_PASSWORD == PUBLIC_DEMO_PASSWORD:
            raise CommandError(
                "With DEBUG off the demo accounts never get the published password: set DEMO_PASSWORD "
                "(or DEMO_PASSWORD_FILE) to a secret of your own."
            )
        self.stdout.write("Seeding demo data…")
        with transaction.atomic():
            countries = tenants_demo.seed(say=self.stdout.write)
            engagement_demo.seed(countries=countries, say=self.stdout.write)
            training_demo.seed(countries=countries, say=self.stdout.write)
            governance_demo.seed(countries=countries, say=self.stdout.write)
            deployments_demo.seed(countries=countries, say=self.stdout.write)
            register_demo.seed(countries=countries, say=self.stdout.write)
            identity_demo.seed(countries=countries, say=self.stdout.write)
        self.stdout.write(
            self.style.SUCCESS(
                "Demo data ready. Accounts amelie, olivier, wanjiku, priya, marcus, aude and admin use the password "
                "set in DEMO_PASSWORD (default portal-demo-2026)."
            )
        )
