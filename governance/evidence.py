"""Evidence files for a requirement: size and type limits (the type is read from the content,
never trusted from the name), SHA-256, versions kept, stored as evidence/<code>/… through the file
room (tenants.files: the storage API, sealed under the country's key, bound to the row). Files are
never given a public URL: governance.control_views.evidence_download checks access first."""

from __future__ import annotations

import hashlib
import io
import zipfile
from pathlib import Path
from typing import BinaryIO

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from tenants import files
from tenants.access import Access
from tenants.errors import NotAllowed, ServiceError
from tenants.isolation import country_context
from tenants.models import Country
from tenants.record.ledger import event_record

from .models import EvidenceFile, Requirement, RequirementStatus
from .services import require_open

ALLOWED = "PDF, PNG, JPEG, Word (DOCX), Excel (XLSX), plain text or CSV"


def max_bytes() -> int:
    return getattr(settings, "EVIDENCE_MAX_BYTES", 10 * 1024 * 1024)


def sniff(data: bytes, name: str) -> str | None:
    """The kind of file the bytes are, or None when they are none we accept."""
    if data.startswith(b"%PDF-"):
        return "pdf"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data.startswith(b"PK\x03\x04"):
        try:
            names = set(zipfile.ZipFile(io.BytesIO(data)).namelist())
        except zipfile.BadZipFile:
            return None
        if "[Content_Types].xml" in names and any(n.startswith("word/") for n in names):
            return "docx"
        if "[Content_Types].xml" in names and any(n.startswith("xl/") for n in names):
            return "xlsx"
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if "\x00" in text or any(ord(c) < 32 and c not in "\t\r\n\f" for c in text):
        return None
    return "csv" if name.lower().endswith(".csv") else "txt"


def _safe_name(name: str) -> str:
    name = Path(str(name or "evidence")).name.strip() or "evidence"
    return "".join(c if c.isalnum() or c in "._- " else "_" for c in name)[:200]


@transaction.atomic
def evidence_upload(
    *, country: Country, requirement: Requirement, by, access: Access, name: str, data: bytes
) -> EvidenceFile:
    """Store a new version of a piece of evidence. Refused files leave nothing behind."""
    if not access.can_write(country.pk):
        raise NotAllowed(_("Only a country admin or an officer of this country can add evidence."))
    role = access.role_in(country.pk) or ""
    require_open(requirement)
    limit = max_bytes()
    if len(data) == 0:
        raise ServiceError(_("The file is empty. Choose the evidence file again."), field="file")
    if len(data) > limit:
        raise ServiceError(
            _("The file is larger than {limit} MB. Upload a smaller file, or split it.").format(
                limit=limit // (1024 * 1024)
            ),
            field="file",
        )
    name = _safe_name(name)
    kind = sniff(data, name)
    if kind is None:
        raise ServiceError(
            _(
                "This file's content is not an accepted type. Upload {allowed}; the type is read from the file itself, not its name."
            ).format(allowed=ALLOWED),
            field="file",
        )
    digest = hashlib.sha256(data).hexdigest()
    with country_context(country):
        status, _created = RequirementStatus.objects.get_or_create(country=country, requirement=requirement)
        last = (
            EvidenceFile.objects.filter(requirement_status=status, name=name)
            .order_by("-version")
            .values_list("version", flat=True)
            .first()
            or 0
        )
        relative = f"evidence/{country.code}/{requirement.code}/{digest}-{last + 1}"
        evidence = EvidenceFile.objects.create(
            country=country,
            requirement_status=status,
            name=name,
            version=last + 1,
            kind=kind,
            size=len(data),
            sha256=digest,
            path=relative,
            uploaded_by=by,
        )
        event_record(
            country=country,
            action="control.evidence_added",
            actor=by,
            actor_role=role,
            target=evidence,
            payload={
                "requirement": requirement.code,
                "version": evidence.version,
                "sha256": digest,
                "size": len(data),
                "kind": kind,
            },
        )
        # Written last, once every check and record above has passed: a refusal stores nothing.
        # (Should the caller's transaction roll back afterwards, the file is an orphan, sealed to a
        # row that does not exist, never served: no row points at it.)
        stored, _sealed, _digest = files.file_save(row=evidence, name=relative, content=data, replace=True)
        if stored != relative:
            EvidenceFile.objects.filter(pk=evidence.pk).update(path=stored)
            evidence.path = stored
    return evidence


def evidence_open(evidence: EvidenceFile) -> BinaryIO:
    """The evidence's plaintext, opened from storage (FileNotFoundError, or tenants.files.FileGone
    once the country's keys were destroyed)."""
    return files.file_open(row=evidence, name=evidence.path)
