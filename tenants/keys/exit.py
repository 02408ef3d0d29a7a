"""A country's data, handed back: a full export of everything it owns (JSON Lines and CSV per
table, its ledger with the offline verifier, a manifest of SHA-256 hashes signed by the portal),
and, on exit, the destruction of its keys after that export."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, BinaryIO

from defusedcsv import csv
from django.apps import apps
from django.conf import settings
from django.db import models, transaction
from django.utils import timezone

from tenants.isolation import country_context
from tenants.jobs.outbox import outbox_enqueue
from tenants.keys.fields import EncryptedTextField
from tenants.keys.models import CountryExport, CountryKey
from tenants.keys.rotation import country_keys_destroy
from tenants.models import Country, TenantModel
from tenants.record import signing
from tenants.record.exports import VERIFY_SCRIPT, ExportRefused, ledger_export_write
from tenants.record.ledger import event_record

EXPORT_TTL_DAYS = 30
# Not the country's data but the means to read it, or bookkeeping of exports themselves.
EXCLUDED = {"tenants.CountryKey", "tenants.CountryExport", "tenants.KeyRotation"}
MANIFEST_README = """Data export of {name} ({code}), made {when}.

data/         one JSON Lines file and one CSV file per table the country owns
ledger/       the country's ledger, with its signed checkpoints and verify_ledger.py
manifest.json the SHA-256 of every file above; manifest.sig is the portal's Ed25519
              signature of manifest.json (public key: ledger-key.pem, fingerprint {key_id})

Check the ledger offline:  python3 ledger/verify_ledger.py ledger/ledger.zip
CSV cells that begin with = + - @ | % are prefixed with ' so spreadsheets never run them.
"""


def exportable_models() -> list[type[models.Model]]:
    """Every concrete tenant model of every app, in a stable order."""
    found = [m for m in apps.get_models() if issubclass(m, TenantModel) and m._meta.label not in EXCLUDED]
    return sorted(found, key=lambda m: m._meta.label)


def _plain(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (bytes, memoryview)):
        return None
    return value


def _columns(model: type[models.Model]) -> list[models.Field]:
    return [f for f in model._meta.concrete_fields if not isinstance(f, models.BinaryField)]


def _rows(model: type[models.Model], country: Country) -> Iterator[dict[str, Any]]:
    columns = _columns(model)
    queryset = model.objects.filter(country_id=country.pk).order_by("pk")
    for obj in queryset.iterator(chunk_size=2000):
        row = {}
        for column in columns:
            value = getattr(obj, column.attname)  # sealed values open here
            row[column.attname] = _plain(str(value) if isinstance(column, EncryptedTextField) and value else value)
        yield row


class _HashingWriter(io.RawIOBase):
    """Passes bytes to a zip entry while hashing and counting them."""

    def __init__(self, target):
        self.target, self.digest, self.size = target, hashlib.sha256(), 0

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self.digest.update(data)
        self.size += len(data)
        self.target.write(data)
        return len(data)


def country_data_export_write(*, country: Country, out: BinaryIO, progress=None) -> dict[str, Any]:
    """Write the export zip to `out`. Returns the manifest."""
    manifest: dict[str, Any] = {
        "country": country.code,
        "name": country.name,
        "generated_at": timezone.now().isoformat(),
        "key_id": signing.public_key_id(),
        "files": {},
    }
    model_list = exportable_models()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for index, model in enumerate(model_list, start=1):
            label = model._meta.label_lower
            if progress:
                progress(f"Exporting {model._meta.verbose_name_plural}", int(80 * index / len(model_list)))
            columns = [c.attname for c in _columns(model)]
            # One pass per format: a zip takes one open entry at a time, and memory stays flat.
            with country_context(country):
                with archive.open(f"data/{label}.jsonl", "w", force_zip64=True) as raw_json:
                    json_out, count = _HashingWriter(raw_json), 0
                    for row in _rows(model, country):
                        json_out.write((json.dumps(row, ensure_ascii=False, default=str) + "\n").encode("utf-8"))
                        count += 1
                with archive.open(f"data/{label}.csv", "w", force_zip64=True) as raw_csv:
                    csv_out = _HashingWriter(raw_csv)
                    csv_text = io.TextIOWrapper(csv_out, encoding="utf-8", newline="", write_through=True)
                    writer = csv.writer(csv_text)
                    writer.writerow(columns)
                    for row in _rows(model, country):
                        writer.writerow([row[c] for c in columns])
                    csv_text.flush()
                    csv_text.detach()
            manifest["files"][f"data/{label}.jsonl"] = {
                "sha256": json_out.digest.hexdigest(),
                "bytes": json_out.size,
                "rows": count,
            }
            manifest["files"][f"data/{label}.csv"] = {
                "sha256": csv_out.digest.hexdigest(),
                "bytes": csv_out.size,
                "rows": count,
            }
        if progress:
            progress("Exporting the ledger", 90)
        ledger_zip = io.BytesIO()
        try:
            ledger_export_write(country=country, out=ledger_zip, filename="ledger.zip")
            ledger_bytes = ledger_zip.getvalue()
            archive.writestr("ledger/ledger.zip", ledger_bytes)
            manifest["files"]["ledger/ledger.zip"] = {
                "sha256": hashlib.sha256(ledger_bytes).hexdigest(),
                "bytes": len(ledger_bytes),
            }
        except ExportRefused:
            pass  # a country with no events yet has no ledger to hand over
        script = VERIFY_SCRIPT.read_bytes()
        archive.writestr("ledger/verify_ledger.py", script)
        manifest["files"]["ledger/verify_ledger.py"] = {
            "sha256": hashlib.sha256(script).hexdigest(),
            "bytes": len(script),
        }
        manifest_bytes = json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False).encode("utf-8")
        archive.writestr("manifest.json", manifest_bytes)
        archive.writestr("manifest.sig", signing.sign(manifest_bytes))
        archive.writestr("ledger-key.pem", signing.public_key_pem())
        archive.writestr(
            "README.txt",
            MANIFEST_README.format(
                name=country.name, code=country.code, when=manifest["generated_at"], key_id=manifest["key_id"]
            ),
        )
    return manifest


def export_directory() -> Path:
    path = Path(settings.MEDIA_ROOT) / "exports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def export_path(export: CountryExport) -> Path:
    return export_directory() / export.file_name


@transaction.atomic
def country_export_request(*, country: Country, by=None, actor_role: str = "", for_exit: bool = False) -> CountryExport:
    with country_context(country):
        if CountryKey.objects.filter(state=CountryKey.State.DESTROYED).exists():
            raise ExportRefused(
                f"{country.name} has left the programme and its keys were destroyed: "
                "there is nothing readable left to export."
            )
        export = CountryExport.objects.create(
            country=country, requested_by=by if getattr(by, "pk", None) else None, for_exit=for_exit
        )
        event_record(
            country=country,
            action="export.requested",
            actor=by,
            actor_role=actor_role,
            target=export,
            payload={"for_exit": for_exit},
        )
        outbox_enqueue(task="tenants.country_export_build", country_id=country.pk, export_id=export.pk)
    return export


def country_export_build(*, export_id: int, country_id: int) -> CountryExport:
    """Build the export file (run by a worker). Idempotent: a finished export is left alone, and a
    rerun after a crash starts the file again from scratch."""
    with country_context(country_id):
        export = CountryExport.objects.select_related("country").get(pk=export_id)
        if export.state == CountryExport.State.DONE:
            return export
        CountryExport.objects.filter(pk=export_id).update(state=CountryExport.State.RUNNING, step="Starting", percent=0)
    country = export.country

    def progress(step: str, percent: int) -> None:
        with country_context(country_id):
            CountryExport.objects.filter(pk=export_id).update(step=step[:200], percent=percent)

    file_name = f"{country.code.lower()}-export-{export_id}.zip"
    target = export_directory() / file_name
    partial = target.with_suffix(".partial")
    try:
        with open(partial, "wb") as out:
            country_data_export_write(country=country, out=out, progress=progress)
        digest = hashlib.sha256()
        with open(partial, "rb") as done:
            for block in iter(lambda: done.read(1 << 20), b""):
                digest.update(block)
        partial.replace(target)
        target.chmod(0o600)
    except Exception as error:
        partial.unlink(missing_ok=True)
        with country_context(country_id):
            CountryExport.objects.filter(pk=export_id).update(state=CountryExport.State.FAILED, error=str(error)[:500])
        raise
    now = timezone.now()
    with country_context(country_id):
        CountryExport.objects.filter(pk=export_id).update(
            state=CountryExport.State.DONE,
            step="Ready",
            percent=100,
            file_name=file_name,
            size=target.stat().st_size,
            sha256=digest.hexdigest(),
            finished_at=now,
            expires_at=now + timedelta(days=EXPORT_TTL_DAYS),
        )
        event_record(
            country=country,
            action="export.completed",
            target=export,
            payload={"sha256": digest.hexdigest(), "bytes": target.stat().st_size},
        )
        return CountryExport.objects.get(pk=export_id)


class ExitRefused(ValueError):
    pass


@transaction.atomic
def country_exit(*, country: Country, export: CountryExport, by=None, actor_role: str = "platform") -> int:
    """The last step of leaving: after a finished export made for exit, destroy the keys."""
    with country_context(country):
        current = CountryExport.objects.filter(pk=export.pk).first()
        if current is None or not current.for_exit or current.state != CountryExport.State.DONE:
            raise ExitRefused(
                "Build the exit export first and make sure it finished: it is the country's only "
                "readable copy once its keys are destroyed."
            )
        event_record(
            country=country,
            action="country.exited",
            actor=by,
            actor_role=actor_role,
            target=current,
            payload={"export_sha256": current.sha256},
        )
    return country_keys_destroy(country=country, by=by, actor_role=actor_role)


def country_exports_expire(*, now=None) -> int:
    """Delete the files of exports past their expiry (they hold a country's data in the clear);
    the rows stay, as the record of what was exported, and say the file is gone."""
    now = now or timezone.now()
    removed = 0
    for country in Country.objects.order_by("pk"):
        with country_context(country):
            expired = list(CountryExport.objects.filter(expires_at__lt=now).exclude(file_name=""))
            for export in expired:
                export_path(export).unlink(missing_ok=True)
                CountryExport.objects.filter(pk=export.pk).update(file_name="", step="Expired: the file was deleted")
                event_record(country=country, action="export.expired", target=export, payload={"sha256": export.sha256})
                removed += 1
    return removed


def export_download_record(*, country: Country, export: CountryExport, by, actor_role: str) -> None:
    """A finished data export left the portal: say who took it and which file it was."""
    event_record(
        country=country,
        action="export.downloaded",
        actor=by,
        actor_role=actor_role,
        target=export,
        payload={"sha256": export.sha256, "bytes": export.size},
    )
