"""The rules every uploaded file goes through before the file room stores it (evidence for a
requirement, attachments to a message): a size limit, a type read from the content (never trusted
from the name), a name that is safe to store and to send back, and the SHA-256 of the bytes. A file
that breaks a rule raises a ServiceError a person can act on, and nothing is stored."""

from __future__ import annotations

import hashlib
import io
import zipfile
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.http import HttpResponse
from django.utils.translation import gettext as _

from tenants.errors import ServiceError

ALLOWED = "PDF, PNG, JPEG, Word (DOCX), Excel (XLSX), plain text or CSV"
CONTENT_TYPES = {
    "pdf": "application/pdf",
    "png": "image/png",
    "jpeg": "image/jpeg",
    "txt": "text/plain",
    "csv": "text/csv",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


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


def safe_name(name: str, default: str = "evidence") -> str:
    name = Path(str(name or default)).name.strip() or default
    return "".join(c if c.isalnum() or c in "._- " else "_" for c in name)[:200]


@dataclass(frozen=True)
class CheckedUpload:
    name: str
    kind: str
    size: int
    sha256: str


def upload_check(*, name: str, data: bytes, empty_message: str = "", default_name: str = "evidence") -> CheckedUpload:
    """The upload's safe name, kind, size and digest, or a ServiceError (field "file") saying what
    to do instead. `data` may hold one byte more than the limit: the caller reads no further."""
    limit = max_bytes()
    if len(data) == 0:
        raise ServiceError(empty_message or _("The file is empty. Choose the file again."), field="file")
    if len(data) > limit:
        raise ServiceError(
            _("The file is larger than {limit} MB. Upload a smaller file, or split it.").format(
                limit=limit // (1024 * 1024)
            ),
            field="file",
        )
    name = safe_name(name, default_name)
    kind = sniff(data, name)
    if kind is None:
        raise ServiceError(
            _(
                "This file's content is not an accepted type. Upload {allowed}; the type is read from the file itself, not its name."
            ).format(allowed=ALLOWED),
            field="file",
        )
    return CheckedUpload(name=name, kind=kind, size=len(data), sha256=hashlib.sha256(data).hexdigest())


def download_response(*, data: bytes, kind: str, name: str) -> HttpResponse:
    """A stored file sent back as an attachment, after the caller's access check: its type from the
    kind found at upload, never sniffed by the browser."""
    response = HttpResponse(data, content_type=CONTENT_TYPES.get(kind, "application/octet-stream"))
    response["Content-Disposition"] = f'attachment; filename="{safe_name(name, "file")}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response
