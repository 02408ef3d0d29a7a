"""A country's data, handed back: a full export of everything it owns. One JSON Lines file and one
CSV file per table (lists and objects written as JSON in CSV cells), every stored file (evidence,
reports) read through Django's storage API, its ledger with the signed checkpoints and the offline
verifier, and a manifest of SHA-256 hashes signed by the portal, with verify_export.py to check
it all offline. Built by a worker (country_export_build) with live progress."""

from __future__ import annotations

import hashlib
import io
import json
import re
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO

from defusedcsv import csv
from django.apps import apps
from django.db import models, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from tenants import files
from tenants.country_state import country_state_memo
from tenants.isolation import country_context
from tenants.jobs.outbox import outbox_enqueue
from tenants.keys import holdings
from tenants.keys.fields import EncryptedTextField
from tenants.keys.models import CountryExport, CountryKey
from tenants.keys.offline import verify_export
from tenants.languages.formatting import long_datetime
from tenants.models import Country, TenantModel
from tenants.record import signing
from tenants.record.exports import VERIFY_SCRIPT, ExportRefused, ledger_export_write
from tenants.record.ledger import event_record
from tenants.record.offline import verify_ledger

EXPORT_TTL_DAYS = 30
EXPORT_VERIFY_SCRIPT = Path(__file__).resolve().parent / "offline" / "verify_export.py"
# Not the country's data but the means to read it, or bookkeeping of exports themselves.
EXCLUDED = {"tenants.CountryKey", "tenants.CountryExport", "tenants.KeyRotation", "tenants.SubjectAccessExport"}
# Written beside the manifest, not listed in it: the manifest, its signature, the key to check it.
UNLISTED = frozenset({"manifest.json", "manifest.sig", "ledger-key.pem", "README.txt"})
CHUNK = 1 << 20
MANIFEST_README = """Data export of {name} ({code}), made {when}.

data/            one JSON Lines file and one CSV file per table the country owns; in CSV, lists
                 and objects are written as JSON
data/dictionary.json
                 what each table and column holds: its name and description in words (in
                 {language_name}, the country's language), its type, and the words for each
                 coded value
files/           every file the country stored (evidence, reports), under the table and row that
                 name it
ledger/          the country's ledger, with its signed checkpoints and verify_ledger.py; the
                 reasons given, the messages and their attached files are checked against the
                 digests it holds (keyed digests: their keys are in data/, as the country's own)
manifest.json    the SHA-256 of every file above and the number of rows of every table;
manifest.sig     the portal's Ed25519 signature of manifest.json (public key: ledger-key.pem,
                 fingerprint {key_id}; compare it with /.well-known/ledger-key.pem)

Check everything offline (Python 3, standard library only):

    python3 verify_export.py {file_name}

CSV cells that begin with = + - @ | % are prefixed with ' so spreadsheets never run them.
"""


def exportable_models() -> list[type[models.Model]]:
    """Every concrete tenant model of every app, in a stable order."""
    found = [m for m in apps.get_models() if issubclass(m, TenantModel) and m._meta.label not in EXCLUDED]
    return sorted(found, key=lambda m: m._meta.label)


def plain(value: Any) -> Any:
    """A column's value as JSON: dates in ISO 8601, decimals as text, binary left out."""
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (bytes, memoryview)):
        return None
    return value


def csv_cell(value: Any) -> Any:
    """Lists and objects as JSON, never as Python's text of them."""
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return value


def columns_of(model: type[models.Model]) -> list[models.Field]:
    return [f for f in model._meta.concrete_fields if not isinstance(f, models.BinaryField)]


def row_of(obj: models.Model, columns: list[models.Field]) -> dict[str, Any]:
    row = {}
    for column in columns:
        if getattr(column, "secret", False):
            # A credential or a key: whether it is set, never the secret (it would open the
            # country's services to whoever holds the file).
            row[column.attname] = "set" if getattr(obj, column.attname) else ""
            continue
        value = getattr(obj, column.attname)  # sealed values open here
        row[column.attname] = plain(str(value) if isinstance(column, EncryptedTextField) and value else value)
    return row


def _rows(model: type[models.Model], queryset: models.QuerySet) -> Iterator[dict[str, Any]]:
    columns = columns_of(model)
    for obj in queryset.order_by("pk").iterator(chunk_size=2000):
        yield row_of(obj, columns)


class HashingWriter(io.RawIOBase):
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

    def entry(self, **extra) -> dict[str, Any]:
        return {"sha256": self.digest.hexdigest(), "bytes": self.size, **extra}


def data_dictionary(models_: list[type[models.Model]], language: str) -> dict[str, Any]:
    """What each exported table and column holds, in words of `language`: the columns' names are
    the software's, a reader of the export needs to know what they mean."""
    tables = {}
    with translation.override(language):
        for model in models_:
            columns = {}
            for field in columns_of(model):
                column: dict[str, Any] = {"label": str(field.verbose_name), "type": field.get_internal_type()}
                if field.help_text:
                    column["description"] = str(field.help_text)
                if field.is_relation and field.related_model is not None:
                    column["refers_to"] = field.related_model._meta.label_lower
                if field.choices:
                    column["values"] = {str(value): str(label) for value, label in field.flatchoices}
                if isinstance(field, EncryptedTextField):
                    column["sealed"] = True  # kept encrypted under the country's key; opened in this export
                columns[field.attname] = column
            tables[model._meta.label_lower] = {"name": str(model._meta.verbose_name_plural), "columns": columns}
    return {"language": language, "tables": tables}


def table_write(archive: zipfile.ZipFile, model: type[models.Model], queryset: models.QuerySet) -> dict[str, dict]:
    """Write one table as data/<label>.jsonl and data/<label>.csv; returns their manifest entries."""
    label = model._meta.label_lower
    columns = [c.attname for c in columns_of(model)]
    # One pass per format: a zip takes one open entry at a time, and memory stays flat.
    with archive.open(f"data/{label}.jsonl", "w", force_zip64=True) as raw_json:
        json_out, count = HashingWriter(raw_json), 0
        for row in _rows(model, queryset):
            json_out.write((json.dumps(row, ensure_ascii=False, default=str) + "\n").encode("utf-8"))
            count += 1
    with archive.open(f"data/{label}.csv", "w", force_zip64=True) as raw_csv:
        csv_out = HashingWriter(raw_csv)
        csv_text = io.TextIOWrapper(csv_out, encoding="utf-8", newline="", write_through=True)
        writer = csv.writer(csv_text)
        writer.writerow(columns)
        for row in _rows(model, queryset):
            writer.writerow([csv_cell(row[c]) for c in columns])
        csv_text.flush()
        csv_text.detach()
    return {f"data/{label}.jsonl": json_out.entry(rows=count), f"data/{label}.csv": csv_out.entry(rows=count)}


def _safe_part(name: str) -> str:
    base = PurePosixPath(str(name)).name or "file"
    return re.sub(r"[^A-Za-z0-9._-]", "_", base)[:120]


def files_write(
    archive: zipfile.ZipFile, kind: holdings.StoredFiles, queryset: models.QuerySet
) -> tuple[dict[str, dict], list[dict]]:
    """Copy every file the rows name into files/<label>/<row id>/<name>, opened (decrypted) through
    the file room. Returns the manifest entries and the files that storage no longer has."""
    entries: dict[str, dict] = {}
    missing: list[dict] = []
    label = kind.model._meta.label_lower
    for row in queryset.order_by("pk").iterator(chunk_size=500):
        name = kind.name(row)
        if not name:
            continue
        path = f"files/{label}/{row.pk}/{_safe_part(name)}"
        try:
            source = files.file_open(row=row, name=name)
        except (FileNotFoundError, OSError):
            missing.append({"table": kind.label, "row": row.pk, "name": _safe_part(name)})
            continue
        except files.FileUnreadable as error:
            # Sealed under a destroyed key (a subject-access request after the exit): say so.
            missing.append({"table": kind.label, "row": row.pk, "name": _safe_part(name), "unreadable": str(error)})
            continue
        with source, archive.open(path, "w", force_zip64=True) as raw:
            out = HashingWriter(raw)
            while block := source.read(CHUNK):
                out.write(block)
        recorded = getattr(row, kind.sha256_field, "") if kind.sha256_field else ""
        extra: dict[str, Any] = {"table": kind.label, "row": row.pk}
        if recorded:
            extra["matches_record"] = recorded == out.digest.hexdigest()
        entries[path] = out.entry(**extra)
    return entries, missing


def country_data_export_write(*, country: Country, out: BinaryIO, progress=None, file_name: str = "") -> dict[str, Any]:
    """Write the export zip to `out`. Returns the manifest. `file_name` is the name the zip is
    handed out under, which its README tells to pass to the verifier."""
    manifest: dict[str, Any] = {
        "country": country.code,
        "name": country.name,
        "generated_at": timezone.now().isoformat(),
        "key_id": signing.public_key_id(),
        "tables": {},
        "files": {},
        "missing_files": [],
    }
    model_list = exportable_models()
    file_kinds = [kind for kind in holdings.stored_files() if kind.label not in EXCLUDED]
    steps = len(model_list) + len(file_kinds)
    # The country's state (its key epoch) is asked once for the whole export.
    with country_state_memo(), zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for index, model in enumerate(model_list, start=1):
            if progress:
                progress("export.table", int(75 * index / steps), table=model._meta.label_lower)
            with country_context(country):
                entries = table_write(archive, model, model.objects.filter(country_id=country.pk))
            manifest["files"].update(entries)
            manifest["tables"][model._meta.label_lower] = entries[f"data/{model._meta.label_lower}.jsonl"]["rows"]
        dictionary = json.dumps(
            data_dictionary(model_list, country.default_language or "en"), indent=2, ensure_ascii=False
        ).encode("utf-8")
        archive.writestr("data/dictionary.json", dictionary)
        manifest["files"]["data/dictionary.json"] = {
            "sha256": hashlib.sha256(dictionary).hexdigest(),
            "bytes": len(dictionary),
        }
        for index, kind in enumerate(file_kinds, start=len(model_list) + 1):
            if progress:
                progress("export.files", int(75 * index / steps), table=kind.model._meta.label_lower)
            with country_context(country):
                entries, missing = files_write(archive, kind, kind.model.objects.filter(country_id=country.pk))
            manifest["files"].update(entries)
            manifest["missing_files"].extend(missing)
        if progress:
            progress("export.ledger", 85)
        ledger_zip = io.BytesIO()
        try:
            summary = ledger_export_write(country=country, out=ledger_zip, filename="ledger.zip")
            # Which events the export holds: signed with the manifest, and named by its event.
            manifest["ledger"] = {"first": summary["first"], "last": summary["last"], "events": summary["events"]}
            ledger_bytes = ledger_zip.getvalue()
            archive.writestr("ledger/ledger.zip", ledger_bytes)
            manifest["files"]["ledger/ledger.zip"] = {
                "sha256": hashlib.sha256(ledger_bytes).hexdigest(),
                "bytes": len(ledger_bytes),
            }
        except ExportRefused:
            pass  # a country with no events yet has no ledger to hand over
        for name, script in (
            ("ledger/verify_ledger.py", VERIFY_SCRIPT.read_bytes()),
            ("verify_export.py", EXPORT_VERIFY_SCRIPT.read_bytes()),
        ):
            archive.writestr(name, script)
            manifest["files"][name] = {"sha256": hashlib.sha256(script).hexdigest(), "bytes": len(script)}
        manifest_bytes = json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False).encode("utf-8")
        archive.writestr("manifest.json", manifest_bytes)
        archive.writestr("manifest.sig", signing.sign(manifest_bytes))
        archive.writestr("ledger-key.pem", signing.public_key_pem())
        archive.writestr(
            "README.txt",
            MANIFEST_README.format(
                name=country.name,
                code=country.code,
                when=manifest["generated_at"],
                key_id=manifest["key_id"],
                file_name=file_name or f"{country.code.lower()}-export.zip",
                language_name=translation.get_language_info(country.default_language or "en")["name"],
            ),
        )
    return manifest


def country_export_verify(source: str | Path | BinaryIO) -> list[str]:
    """Check a finished export as its recipient would: the manifest's signature under the portal's
    key, every listed file's hash and size, nothing unlisted, a data file for every table the
    country owns, the ledger inside it, and every reason, message and attached file the ledger
    holds a digest of against that digest (verify_export.record_problems, the offline verifier's
    own check). Returns the problems (none: the export is sound)."""
    problems: list[str] = []
    with zipfile.ZipFile(source) as archive:
        names = set(archive.namelist())
        try:
            manifest_bytes = archive.read("manifest.json")
            signature = archive.read("manifest.sig").decode()
        except KeyError:
            return ["the export has no manifest or no signature"]
        manifest = json.loads(manifest_bytes)
        # Under the key the manifest names, as of when it was made: an export built before the
        # ledger key's rotation (an exit's, checked later) still checks.
        if not signing.document_signature_valid(
            manifest_bytes, signature, key_id=manifest.get("key_id"), signed_at=manifest.get("generated_at")
        ):
            problems.append("the manifest's signature is not the portal's")
        listed = manifest.get("files", {})
        for name, entry in listed.items():
            if name not in names:
                problems.append(f"{name} is listed but missing")
                continue
            digest, size = hashlib.sha256(), 0
            with archive.open(name) as stream:
                for block in iter(lambda: stream.read(CHUNK), b""):
                    digest.update(block)
                    size += len(block)
            if digest.hexdigest() != entry.get("sha256") or size != entry.get("bytes"):
                problems.append(f"{name} does not match its hash in the manifest")
        unlisted = sorted(n for n in names - set(listed) - UNLISTED if not n.endswith("/"))
        if unlisted:
            problems.append(f"files not in the manifest: {', '.join(unlisted[:5])}")
        for name, entry in sorted(listed.items()):
            if name.startswith("files/") and entry.get("matches_record") is False:
                problems.append(f"{name} is not the file its row recorded when it was stored")
        for model in exportable_models():
            label = model._meta.label_lower
            if f"data/{label}.jsonl" not in listed or label not in manifest.get("tables", {}):
                problems.append(f"the table {label} is not in the export")
        if "ledger/ledger.zip" in names:
            with tempfile.NamedTemporaryFile(suffix=".zip") as ledger_file:
                ledger_file.write(archive.read("ledger/ledger.zip"))
                ledger_file.flush()
                export = verify_ledger.Export(ledger_file.name)
                key = verify_ledger.public_key_from_pem(export.text("ledger-key.pem"))
                # Every key the portal signed with, each in its window (not the current key alone:
                # checkpoints made before a rotation name the retired key that signed them).
                ring = verify_ledger.keyring_from_json(json.dumps({"keys": signing.keyring()}))
                ledger_problems, _ = verify_ledger.verify(export, key, ring)
                texts_problems, _counts = verify_export.record_problems(archive, names, export.lines("events.jsonl"))
            problems.extend(f"ledger: {problem}" for problem in ledger_problems)
            problems.extend(f"record: {problem}" for problem in texts_problems)
    return problems


# --- Exports as jobs -----------------------------------------------------------------------------------


EXPORTS = "exports/"


def export_stored_name(export: CountryExport) -> str:
    """The export's name in storage (tenants.files), "" when it has no file."""
    return f"{EXPORTS}{export.file_name}" if export.file_name else ""


def export_open(export: CountryExport) -> BinaryIO:
    """The export zip, opened from storage. An export made for the exit is sealed under a key of its
    own (wrapped by the master key), so the country can still take it after its keys are destroyed;
    any other export is sealed under the country's key and goes with it."""
    return files.file_open(row=export, name=export_stored_name(export))


def country_export_verify_stored(export: CountryExport) -> list[str]:
    """country_export_verify on the stored export, opened as its recipient will download it."""
    with tempfile.TemporaryFile() as copy:
        files.file_copy(row=export, name=export_stored_name(export), out=copy)
        copy.seek(0)
        return country_export_verify(copy)


@transaction.atomic
def country_export_request(
    *, country: Country, by=None, actor_role: str = "", for_exit: bool = False, schedule: bool = True
) -> CountryExport:
    with country_context(country):
        if CountryKey.objects.filter(state=CountryKey.State.DESTROYED).exists():
            raise ExportRefused(
                _(
                    "%(country)s has left the programme and its keys were destroyed: there is nothing readable left to export."
                )
                % {"country": country.display_name}
            )
        under_way = (
            CountryExport.objects.filter(state__in=(CountryExport.State.PENDING, CountryExport.State.RUNNING))
            .order_by("created_at")
            .first()
        )
        if under_way is not None and not for_exit:
            # One full export at a time: a second request would build the same file again.
            raise ExportRefused(
                _(
                    "An export of %(country)s requested on %(date)s is being built: it can be downloaded from this "
                    "page once it is ready."
                )
                % {"country": country.display_name, "date": long_datetime(under_way.created_at)}
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
        if schedule:
            outbox_enqueue(task="tenants.country_export_build", country_id=country.pk, export_id=export.pk)
    return export


def country_export_build(
    *, export_id: int, country_id: int, progress: Callable[[str, int], None] | None = None
) -> CountryExport:
    """Build the export file (run by a worker). Idempotent: a finished export is left alone, and a
    rerun after a crash starts the file again from scratch."""
    with country_context(country_id):
        export = CountryExport.objects.select_related("country").get(pk=export_id)
        if export.state == CountryExport.State.DONE:
            return export
        CountryExport.objects.filter(pk=export_id).update(
            state=CountryExport.State.RUNNING, step="starting", step_params={}, percent=0
        )
    country = export.country

    def step(code: str, percent: int, **params: str) -> None:
        with country_context(country_id):
            CountryExport.objects.filter(pk=export_id).update(step=code, step_params=params, percent=percent)
        if progress:
            progress(code, percent, **params)

    file_name = f"{country.code.lower()}-export-{export_id}.zip"
    try:
        # Built in a scratch file on this host, then sealed into storage (a rerun replaces it).
        with tempfile.TemporaryFile() as scratch:
            manifest = country_data_export_write(country=country, out=scratch, progress=step, file_name=file_name)
            scratch.seek(0)
            stored, size, sha256 = files.file_save(
                row=export, name=EXPORTS + file_name, content=scratch, own_key=export.for_exit, replace=True
            )
    except Exception as error:
        with country_context(country_id):
            CountryExport.objects.filter(pk=export_id).update(state=CountryExport.State.FAILED, error=str(error)[:500])
        raise
    now = timezone.now()
    with country_context(country_id):
        CountryExport.objects.filter(pk=export_id).update(
            state=CountryExport.State.DONE,
            step="ready",
            step_params={},
            percent=100,
            file_name=stored.removeprefix(EXPORTS),
            size=size,
            sha256=sha256,
            finished_at=now,
            expires_at=now + timedelta(days=EXPORT_TTL_DAYS),
        )
        event_record(
            country=country,
            action="export.completed",
            target=export,
            payload={"sha256": sha256, "bytes": size, **ledger_range(manifest)},
        )
        return CountryExport.objects.get(pk=export_id)


def ledger_range(manifest: dict[str, Any]) -> dict[str, int]:
    """The events of the country's chain an export holds, as its event names them (none for a
    country with no events yet)."""
    held = manifest.get("ledger") or {}
    return {"first": held["first"], "last": held["last"]} if held else {}


def country_export_written_record(*, country: Country, manifest: dict[str, Any], sha256: str, size: int) -> None:
    """An export written from the shell (the export_country command, run by the platform team): on
    the country's chain as one built for a person is, with the file's SHA-256 and size and the
    events of the chain it holds."""
    with country_context(country):
        event_record(
            country=country,
            action="export.written",
            actor_role="platform",
            payload={"sha256": sha256, "bytes": size, **ledger_range(manifest)},
        )


def country_exports_expire(*, now=None) -> int:
    """Delete the files of exports past their expiry (they hold a country's data, openable by the portal);
    the rows stay, as the record of what was exported, and say the file is gone."""
    now = now or timezone.now()
    removed = 0
    for country in Country.objects.order_by("pk"):
        with country_context(country):
            expired = list(CountryExport.objects.filter(expires_at__lt=now).exclude(file_name=""))
            for export in expired:
                files.file_delete(export_stored_name(export))
                CountryExport.objects.filter(pk=export.pk).update(file_name="", step="expired", step_params={})
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
