"""python manage.py rotate_keys — rotate a country's data key, or re-wrap every key under the master key."""

from django.core.management.base import BaseCommand, CommandError

from tenants.keys.rotation import country_key_rotate, country_keys_rewrap, key_rotation_sweep
from tenants.models import Country


class Command(BaseCommand):
    help = (
        "Rotate country data keys (new key, then re-encrypt every value, with progress), or with --rewrap "
        "re-wrap every country key under the current master key after PORTAL_MASTER_KEY changed."
    )

    def add_arguments(self, parser):
        parser.add_argument("--country", action="append", default=[], help="ISO code; repeat, or omit for all")
        parser.add_argument("--rewrap", action="store_true", help="Re-wrap under the current master key instead")

    def handle(self, *args, country: list[str], rewrap: bool = False, **options):
        if rewrap and country:
            raise CommandError(
                "--rewrap re-wraps every country's key under the current master key at once (the master key "
                "is the platform's, not a country's): run it without --country. Nothing was changed."
            )
        if rewrap:
            count = country_keys_rewrap()
            self.stdout.write(self.style.SUCCESS(f"Re-wrapped {count} country key(s) under the current master key."))
            return
        countries = Country.objects.writable().order_by("code")
        if country:
            codes = {c.upper() for c in country}
            countries = countries.filter(code__in=codes)
            missing = codes - set(countries.values_list("code", flat=True))
            if missing:
                raise CommandError(f"Unknown or exited countries: {', '.join(sorted(missing))}")
        for found in countries:
            rotation = country_key_rotate(country=found, schedule_sweep=False)
            self.stdout.write(f"{found.code}: new key {rotation.to_key_id}; re-encrypting {rotation.total} row(s)…")
            done = key_rotation_sweep(
                rotation_id=rotation.pk,
                country_id=found.pk,
                progress=lambda r: self.stdout.write(f"  {r.done}/{r.total} ({r.percent}%)"),
            )
            self.stdout.write(self.style.SUCCESS(f"{found.code}: {done.done} row(s) now under key {done.to_key_id}."))
