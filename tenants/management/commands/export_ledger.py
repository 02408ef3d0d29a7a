"""python manage.py export_ledger FR out.zip — a country's chain, verifiable offline;
python manage.py export_ledger platform out.zip — the platform chain, in the same format. Each
export is put on the chain it took (`ledger.exported`, by the platform's command), as one taken
from the pages or the API is."""

from django.core.management.base import BaseCommand, CommandError

from tenants.management.output import written_file
from tenants.models import Country
from tenants.record.exports import ExportRefused, ledger_export_write
from tenants.record.models import PLATFORM_CHAIN
from tenants.record.services import ledger_export_record


class Command(BaseCommand):
    help = (
        "Export a country's ledger segment (or the platform chain's, with 'platform') with checkpoints, public key "
        "and the offline verification script."
    )

    def add_arguments(self, parser):
        parser.add_argument("country", help="ISO code, e.g. FR, or 'platform' for the platform chain")
        parser.add_argument("output", help="Path of the zip to write")
        parser.add_argument("--first", type=int, default=None)
        parser.add_argument("--last", type=int, default=None)

    def handle(self, *args, country: str, output: str, first=None, last=None, **options):
        found = None
        if country.lower() != PLATFORM_CHAIN:
            found = Country.objects.filter(code=country.upper()).first()
            if found is None:
                raise CommandError(f"No country with code {country.upper()} (or 'platform' for the platform chain).")
        try:
            with written_file(output) as out:
                summary = ledger_export_write(country=found, out=out, first=first, last=last, filename=output)
        except ExportRefused as refusal:
            raise CommandError(str(refusal)) from None
        ledger_export_record(country=found, by=None, actor_role="platform", summary=summary, via="command")
        chain = found.code if found else PLATFORM_CHAIN
        self.stdout.write(
            self.style.SUCCESS(
                f"Wrote {summary['events']} events ({summary['first']}–{summary['last']}) of {chain} to {output}. "
                f"Verify with: python3 verify_ledger.py {output}"
            )
        )
