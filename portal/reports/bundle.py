"""The report bundle: a zip of the sections in CSV, JSON and XLSX, the period's verifiable ledger
export, and manifest.json (the SHA-256 of every file) signed with the portal's Ed25519 key, with
a standard-library script that verifies it all offline."""

from __future__ import annotations

import hashlib
import io
import json
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from django.db.models import Max, Min
from django.utils import timezone

from tenants.isolation import country_context
from tenants.languages.headings import KEYS
from tenants.models import Country
from tenants.record import signing
from tenants.record.exports import VERIFY_SCRIPT as LEDGER_VERIFY_SCRIPT
from tenants.record.exports import ledger_export_write
from tenants.record.models import CountryEvent

from . import pdf, writers
from .ledger_csv import ledger_events_csv_write
from .past import AT_GENERATION
from .sections import Period, sections_read

BUNDLE_VERIFY_SCRIPT = Path(__file__).resolve().parent / "offline" / "verify_bundle.py"
MANIFEST, SIGNATURE = "manifest.json", "manifest.sig"
README = """Compliance report of {name} ({code}), {kind}, period {start} to {end}.
Generated {when} by the Sovereign AI Onboarding Portal.

  summary.pdf                a short summary to read: each section's size and first rows
  report.json, report.xlsx   every section (one sheet per section in the workbook)
  csv/                       one CSV file per section; csv/ledger_events.csv holds every event of the period
  ledger/ledger-export.zip   the period's events and signed checkpoints, verifiable on their own
  manifest.json              the SHA-256 of every file, signed (manifest.sig) with the portal's key

Verify this bundle offline with Python 3 (standard library only):

    python3 verify_bundle.py {file}

Compare the key fingerprint it prints ({key_id}) with the one the portal publishes at
/.well-known/ledger-key.pem, or pass your own copy with --key. After a rotation of the portal's
key, checkpoints are checked under the key each one names, within that key's validity window, from
the keyring in the ledger export or your own copy of /.well-known/ledger-keyring.json (--keyring).
"""

Progress = Callable[[str, int], None]  # (a step code of tenants.jobs.steps, percent)


class _Hashing(io.RawIOBase):
    """Passes bytes through to a zip entry while hashing and counting them."""

    def __init__(self, target: BinaryIO):
        self.target, self.digest, self.size = target, hashlib.sha256(), 0

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        data = bytes(data)
        self.digest.update(data)
        self.size += len(data)
        self.target.write(data)
        return len(data)


def _period_sequences(country: Country, period: Period) -> tuple[int | None, int | None]:
    start, end = period.bounds()
    with country_context(country):
        bounds = CountryEvent.objects.filter(country_id=country.pk, at__gte=start, at__lt=end).aggregate(
            first=Min("sequence"), last=Max("sequence")
        )
    return bounds["first"], bounds["last"]


def bundle_write(
    *,
    country: Country,
    period: Period,
    out: BinaryIO,
    kind: str = "pack",
    file_name: str = "report.zip",
    progress: Progress | None = None,
    language: str = "en",
    headings: str = KEYS,
) -> dict:
    """Write the bundle to `out`; returns the manifest. The summary PDF is written in `language`
    (the requester's), the CSV files and the workbook are headed in `headings` (the requester's
    language, or KEYS for programs); report.json keeps the keys, and every instant is in UTC."""
    progress = progress or (lambda step, percent: None)
    files: dict[str, dict] = {}
    generated_at = timezone.now().isoformat()
    progress("report.sections", 5)
    sections, absent = sections_read(country=country, period=period, kind=kind)
    header = {
        "country": country.code,
        "country_name": country.name,
        "kind": kind,
        "period_start": period.start.isoformat(),
        "period_end": period.end.isoformat(),
        "generated_at": generated_at,
        "absent_sections": absent,
        # Sections whose past state cannot be rebuilt: as they were at generated_at, not at period_end.
        "as_of_generation": [s.name for s in sections if s.as_of == AT_GENERATION],
    }

    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:

        def put(name: str, data: bytes) -> None:
            archive.writestr(name, data)
            files[name] = {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}

        def put_stream(name: str, write: Callable[[BinaryIO], None]) -> None:
            with archive.open(name, "w", force_zip64=True) as entry:
                hashing = _Hashing(entry)
                write(hashing)
            files[name] = {"sha256": hashing.digest.hexdigest(), "size": hashing.size}

        progress("report.csv", 20)
        for section in sections:
            put(f"csv/{section.name}.csv", writers.section_csv(section, headings))
        progress("report.ledger_events", 35)
        put_stream(
            "csv/ledger_events.csv",
            lambda target: ledger_events_csv_write(country=country, period=period, out=target, headings=headings),
        )
        progress("report.json", 60)
        put("report.json", writers.report_json(header=header, sections=sections))
        progress("report.workbook", 70)
        workbook = io.BytesIO()
        writers.report_xlsx(header=header, sections=sections, out=workbook, headings=headings)
        put("report.xlsx", workbook.getvalue())
        put("summary.pdf", pdf.report_pdf(header=header, sections=sections, language=language))

        progress("report.ledger_export", 80)
        first, last = _period_sequences(country, period)
        if first is not None:
            with tempfile.TemporaryFile() as spool:
                ledger_export_write(country=country, out=spool, first=first, last=last, filename="ledger-export.zip")
                spool.seek(0)
                put_stream("ledger/ledger-export.zip", lambda target: _copy(spool, target))
        else:
            header["absent_sections"] = [*absent, "ledger_export (no events in the period)"]

        progress("report.manifest", 95)
        put("ledger-key.pem", signing.public_key_pem().encode())
        put("verify_ledger.py", LEDGER_VERIFY_SCRIPT.read_bytes())
        put("verify_bundle.py", BUNDLE_VERIFY_SCRIPT.read_bytes())
        put(
            "README.txt",
            README.format(
                name=country.name,
                code=country.code,
                kind=kind,
                start=period.start,
                end=period.end,
                when=generated_at,
                file=file_name,
                key_id=signing.public_key_id(),
            ).encode(),
        )
        manifest = {"format": 1, **header, "key_id": signing.public_key_id(), "files": dict(sorted(files.items()))}
        if first is not None:
            # The events of the country's chain the bundle's ledger export holds (its event names them too).
            manifest["ledger_segment"] = {"first": first, "last": last}
        manifest_bytes = json.dumps(manifest, indent=1, sort_keys=True).encode("utf-8")
        archive.writestr(MANIFEST, manifest_bytes)
        archive.writestr(SIGNATURE, signing.sign(manifest_bytes) + "\n")
    progress("ready", 100)
    return manifest


def _copy(source: BinaryIO, target: BinaryIO) -> None:
    target.writelines(iter(lambda: source.read(1 << 20), b""))
