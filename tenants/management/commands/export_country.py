"""python manage.py export_country FR fr.zip — everything a country owns, with a signed manifest.
The export is put on the country's chain (`export.written`: the file's SHA-256 and size, the events
it holds), as one built for a person on the "Data and keys" page is."""

import hashlib
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from tenants.jobs.steps import step_text
from tenants.keys.export import country_data_export_write, country_export_written_record
from tenants.management.output import written_file
from tenants.models import Country


class Command(BaseCommand):
    help = "Write a full export of a country's data (JSON Lines + CSV per table, ledger, signed manifest)."

    def add_arguments(self, parser):
        parser.add_argument("country", help="ISO code, e.g. FR")
        parser.add_argument("output", help="Path of the zip to write")

    def handle(self, *args, country: str, output: str, **options):
        found = Country.objects.filter(code=country.upper()).first()
        if found is None:
            raise CommandError(f"No country with code {country.upper()}.")
        with written_file(output) as out:
            manifest = country_data_export_write(
                country=found,
                out=out,
                file_name=Path(output).name,
                progress=lambda step, percent, **params: self.stdout.write(
                    f"  {percent:3d}% {step_text(step, params)}"
                ),
            )
        with open(output, "rb") as written:
            digest = hashlib.file_digest(written, "sha256").hexdigest()
        country_export_written_record(country=found, manifest=manifest, sha256=digest, size=Path(output).stat().st_size)
        rows = sum(f.get("rows", 0) for name, f in manifest["files"].items() if name.endswith(".jsonl"))
        self.stdout.write(
            self.style.SUCCESS(f"Wrote {rows} rows of {found.code} in {len(manifest['files'])} files to {output}.")
        )
