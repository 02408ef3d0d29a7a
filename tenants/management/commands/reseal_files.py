"""python manage.py reseal_files [--country FR] [--now] — seal every file stored before files were
sealed (tenants.keys.resealing). Safe to run again: sealed files are skipped."""

from django.core.management.base import BaseCommand, CommandError

from tenants.keys.resealing import files_reseal_here, files_reseal_start
from tenants.models import Country


class Command(BaseCommand):
    help = "Seal the stored files that are not sealed yet, through the workers (or here with --now)."

    def add_arguments(self, parser):
        parser.add_argument("--country", help="ISO code, e.g. FR (default: every country)")
        parser.add_argument("--now", action="store_true", help="Run here and print progress, instead of a worker")

    def handle(self, *args, country: str | None = None, now: bool = False, **options):
        countries = list(Country.objects.order_by("code"))
        if country:
            countries = [c for c in countries if c.code == country.upper()]
            if not countries:
                raise CommandError(f"No country with code {country.upper()}.")
        if not now:
            started = files_reseal_start(countries=countries)
            self.stdout.write(self.style.SUCCESS(f"Enqueued the sealing of stored files for {started} countries."))
            return
        for found in countries:
            done = files_reseal_here(country=found, progress=lambda line: self.stdout.write(f"  {line}"))
            self.stdout.write(
                self.style.SUCCESS(
                    f"{found.code}: {done.sealed} files sealed, {done.deleted} deleted (keys destroyed)."
                )
            )
