"""Evidence files for a requirement: size and type limits (the type is read from the content,
never trusted from the name), SHA-256, versions kept, stored as evidence/<code>/… through the file
room (tenants.files: the storage API, sealed under the country's key, bound to the row). Files are
never given a public URL: governance.control_views.evidence_download checks access first."""

from __future__ import annotations

from typing import BinaryIO

from django.db import transaction
from django.utils.translation import gettext as _

from tenants import files, uploads
from tenants.access import Access
from tenants.errors import NotAllowed
from tenants.isolation import country_context
from tenants.models import Country
from tenants.record.ledger import event_record

from .models import EvidenceFile, Requirement, RequirementStatus
from .services import require_open

# The rules of an upload live in the foundation (tenants.uploads), shared with messages' attachments.
ALLOWED = uploads.ALLOWED
max_bytes = uploads.max_bytes
sniff = uploads.sniff


@transaction.atomic
def evidence_upload(
    *, country: Country, requirement: Requirement, by, access: Access, name: str, data: bytes
) -> EvidenceFile:
    """Store a new version of a piece of evidence. Refused files leave nothing behind."""
    if not access.can_write(country.pk):
        raise NotAllowed(_("Only a country admin or an officer of this country can add evidence."))
    role = access.role_in(country.pk) or ""
    require_open(requirement)
    checked = uploads.upload_check(
        name=name, data=data, empty_message=_("The file is empty. Choose the evidence file again.")
    )
    name, kind, digest = checked.name, checked.kind, checked.sha256
    with country_context(country):
        status, _created = RequirementStatus.objects.get_or_create(country=country, requirement=requirement)
        last = (
            EvidenceFile.objects.filter(requirement_status=status, name=name)
            .order_by("-version")
            .values_list("version", flat=True)
            .first()
            or 0
        )
        evidence = EvidenceFile.objects.create(
            country=country,
            requirement_status=status,
            name=name,
            version=last + 1,
            kind=kind,
            size=len(data),
            sha256=digest,
            uploaded_by=by,
        )
        # Named after its own row, never after its content: two uploads of the same bytes each keep
        # their file (a file is sealed to one row), and the name says nothing about the bytes.
        relative = f"evidence/{country.code}/{requirement.code}/{evidence.pk}"
        event_record(
            country=country,
            action="control.evidence_added",
            actor=by,
            actor_role=role,
            target=evidence,
            payload={
                "requirement": requirement.code,
                "version": evidence.version,
                # No plain SHA-256: it would name the file to whoever holds a copy. The row keeps it.
                "size": len(data),
                "kind": kind,
            },
        )
        # Written last, once every check and record above has passed: a refusal stores nothing.
        # (Should the caller's transaction roll back afterwards, the file is an orphan, sealed to a
        # row that does not exist, never served: no row points at it.)
        # Never over another file: should the name be taken, storage picks a free one beside it.
        stored, _sealed, _digest = files.file_save(row=evidence, name=relative, content=data)
        EvidenceFile.objects.filter(pk=evidence.pk).update(path=stored)
        evidence.path = stored
    return evidence


def evidence_open(evidence: EvidenceFile) -> BinaryIO:
    """The evidence's plaintext, opened from storage (FileNotFoundError, or tenants.files.FileGone
    once the country's keys were destroyed)."""
    return files.file_open(row=evidence, name=evidence.path)
