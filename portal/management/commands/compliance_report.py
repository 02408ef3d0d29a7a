"""Build a compliance report bundle from the shell, printing progress:

    python manage.py compliance_report FR --from 2026-01-01 --to 2026-12-31 --output fr.zip [--ledger-only]

The bundle is the same as the one an auditor downloads; the run is recorded on the country's
ledger as a report made by the platform."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from portal.reports.bundle import bundle_write
from portal.reports.sections import Period
from portal.reports.services import period_check
from tenants.errors import ServiceError
from tenants.isolation import country_context
from tenants.jobs.steps import step_text
from tenants.management.output import written_file
from tenants.models import Country
from tenants.record.ledger import event_record


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"{value!r} is not a date; write it like 2026-01-31.") from None


class Command(BaseCommand):
    help = "Build a signed compliance report bundle of one country for a period."

    def add_arguments(self, parser):
        parser.add_argument("country", help="ISO code of the country, e.g. FR")
        parser.add_argument("--from", dest="start", required=True, help="first day, e.g. 2026-01-01")
        parser.add_argument("--to", dest="end", required=True, help="last day, e.g. 2026-12-31")
        parser.add_argument("--output", required=True, help="the zip file to write")
        parser.add_argument("--ledger-only", action="store_true", help="only the ledger segment and checkpoints")

    def handle(self, *args, **options):
        code = options["country"].upper()
        country = Country.objects.filter(code=code).first()
        if country is None:
            raise CommandError(f"There is no country {code}.")
        try:
            period: Period = period_check(start=_date(options["start"]), end=_date(options["end"]))
        except ServiceError as error:
            raise CommandError(error.message) from None
        output = Path(options["output"])
        kind = "ledger" if options["ledger_only"] else "pack"

        def progress(step: str, percent: int, **params: str) -> None:
            self.stdout.write(f"[{percent:3d}%] {step_text(step, params)}")
            self.stdout.flush()

        with written_file(output) as out:
            manifest = bundle_write(
                country=country, period=period, out=out, kind=kind, file_name=output.name, progress=progress
            )
        digest = hashlib.sha256(output.read_bytes()).hexdigest()
        with country_context(country):
            event_record(
                country=country,
                action="report.exported",
                actor_role="platform",
                payload={
                    "kind": kind,
                    "from": period.start.isoformat(),
                    "to": period.end.isoformat(),
                    "sha256": digest,
                    # The events of the chain its ledger export holds, if the period has any.
                    **manifest.get("ledger_segment", {}),
                },
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"Wrote {output} ({output.stat().st_size} bytes, {len(manifest['files'])} files, sha256 {digest}). "
                f"Check it with: unzip it, then python3 verify_bundle.py {output.name}"
            )
        )
