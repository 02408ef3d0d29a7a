"""python manage.py verify_ledger — verify every chain and its signed checkpoints."""

from django.core.management.base import BaseCommand

from tenants.record.ledger import ledger_verify_all


class Command(BaseCommand):
    help = "Verify every ledger chain (hashes, sequence, signed checkpoints); record the run; alert on a break."

    def add_arguments(self, parser):
        parser.add_argument("--no-record", action="store_true", help="Verify without recording the run.")

    def handle(self, *args, no_record: bool = False, **options):
        self.stdout.write("Verifying the ledger…")
        reports = ledger_verify_all(record=not no_record, say=self.stdout.write)
        broken = [r for r in reports if not r.ok]
        if broken:
            self.stderr.write(
                self.style.ERROR(f"{len(broken)} chain(s) do not verify: " + ", ".join(r.chain for r in broken))
            )
            raise SystemExit(1)
        self.stdout.write(
            self.style.SUCCESS(f"All {len(reports)} chains verify ({sum(r.events for r in reports)} events).")
        )
