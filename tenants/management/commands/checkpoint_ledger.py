"""python manage.py checkpoint_ledger — sign the head of every chain now."""

from django.core.management.base import BaseCommand

from tenants.models import Country
from tenants.record.ledger import checkpoint_create


class Command(BaseCommand):
    help = "Sign a checkpoint at the head of every chain that moved since its last one."

    def handle(self, *args, **options):
        made = checkpoint_create()
        self.stdout.write(f"  platform: {'signed at ' + str(made.sequence) if made else 'unchanged'}")
        for country in Country.objects.order_by("code"):
            made = checkpoint_create(country=country)
            self.stdout.write(f"  {country.code}: {'signed at ' + str(made.sequence) if made else 'unchanged'}")
