"""The file room: the one place where the portal writes, reads and deletes a stored file (evidence,
compliance reports, exports, subject-access zips). Files go through Django's storage API (the
local disk under `make run`, S3-compatible object storage when STORAGE_BACKEND says so), and every
file is sealed on its way in and opened on its way out.

Sealing: AES-GCM in chunks of 1 MiB, each bound to the file's row by associated data
(`country|table|file:<slot>|pk`, plus the chunk's index and whether it is the last), so a stored
file copied to another row, table or country, cut short, reordered or altered never opens.

- Country files are sealed under the country's data key (the key id travels in the header).
  Destroying the country's keys (exit, tenants.keys.rotation) therefore makes them unreadable:
  opening one raises FileGone, which pages answer with 410.
- A country's own exports are sealed under a key of their own, wrapped by the master key and kept
  in the file's header: the exit export must stay readable for the country after its data key is
  destroyed (until it expires).

Files stored before sealing (no header) are read as they are, unless the country's keys were
destroyed or FILES_ACCEPT_UNSEALED is off, and re-sealed by `files_reseal_sweep` (tenants.files_reseal, the `reseal_files`
command)."""

from __future__ import annotations

import hashlib
import io
import secrets
import struct
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.apps import apps
from django.conf import settings
from django.core.files import File
from django.core.files.storage import Storage, storages
from django.db import models
from django.utils.translation import gettext_lazy as _

from tenants.keys import envelope as keys

MAGIC = b"\x00PSF1"  # no accepted upload starts with a NUL byte
COUNTRY, OWN = b"C", b"M"  # sealed under the country's data key | under a key of its own
CHUNK = 1 << 20
NONCE = 12
TAG = 16
SPOOL = 8 << 20  # a file up to this size is sealed in memory, beyond it in a temporary file


class FileUnreadable(Exception):
    """A stored file that cannot be opened; its message is for the person who asked."""

    status = 409


class FileGone(FileUnreadable):
    """The file was sealed under a data key that was destroyed (the country left): gone for good."""

    status = 410


class FileAltered(FileUnreadable):
    """The stored bytes do not open for this row: moved from elsewhere, cut short or altered."""

    status = 409


GONE_MESSAGE = _(
    "This file can no longer be read: it was encrypted under this country's data key, which was "
    "destroyed when the country left the programme."
)
ALTERED_MESSAGE = _("This stored file does not belong to this record or was altered; it cannot be opened.")


def storage() -> Storage:
    """The storage of every file: STORAGES["default"] (local disk, or object storage)."""
    return storages["default"]


@dataclass(frozen=True)
class Binding:
    """Where a file belongs: its country and the associated data of its row."""

    country_id: int
    aad: bytes


def binding_for(row: models.Model, slot: str = "file") -> Binding:
    Country = apps.get_model("tenants", "Country")
    code = Country.objects.values_list("code", flat=True).get(pk=row.country_id)
    return Binding(row.country_id, keys.associated_data(code, row._meta.db_table, f"file:{slot}", row.pk))


def _chunk_aad(binding: Binding, index: int, last: bool) -> bytes:
    return binding.aad + f"|{index}|{int(last)}".encode()


# --- Sealing ------------------------------------------------------------------------------------------


def _header_and_key(binding: Binding, own_key: bool) -> tuple[bytes, bytes]:
    if own_key:
        file_key = AESGCM.generate_key(bit_length=256)
        wrapped, master_id = keys.master_keys().wrap(file_key)
        master = master_id.encode()
        header = OWN + bytes([len(master)]) + master + struct.pack(">H", len(wrapped)) + wrapped
        return header, file_key
    data_key = keys.active_key(binding.country_id)
    key_id = data_key.key_id.encode()
    return COUNTRY + bytes([len(key_id)]) + key_id, data_key.key


def _blocks(source: BinaryIO) -> Iterator[tuple[bytes, bool]]:
    """The source in chunks, each with whether it is the last (an empty source is one empty chunk)."""
    current = source.read(CHUNK)
    while True:
        following = source.read(CHUNK) if len(current) == CHUNK else b""
        yield current, not following
        if not following:
            return
        current = following


def seal_stream(source: BinaryIO, out: BinaryIO, binding: Binding, *, own_key: bool = False) -> tuple[int, str]:
    """Seal `source` into `out`. Returns the plaintext's size and SHA-256."""
    header, key = _header_and_key(binding, own_key)
    aead, digest, size = AESGCM(key), hashlib.sha256(), 0
    out.write(MAGIC + header + struct.pack(">I", CHUNK))
    for index, (block, last) in enumerate(_blocks(source)):
        digest.update(block)
        size += len(block)
        nonce = secrets.token_bytes(NONCE)
        out.write(nonce + aead.encrypt(nonce, block, _chunk_aad(binding, index, last)))
    return size, digest.hexdigest()


class OpenedFile(io.RawIOBase):
    """The plaintext of a sealed file, read chunk by chunk (memory stays flat)."""

    def __init__(self, raw: BinaryIO, binding: Binding):
        super().__init__()
        self.raw, self.binding, self.buffer, self.index, self.done = raw, binding, b"", 0, False
        self.aead, self.chunk = self._read_header()
        self.pending = self._take(NONCE + self.chunk + TAG)
        self._advance()  # the first chunk opens now: a wrong key or row fails before any byte is served

    def _take(self, n: int) -> bytes:
        data = b""
        while len(data) < n:
            part = self.raw.read(n - len(data))
            if not part:
                break
            data += part
        return data

    def _read_header(self) -> tuple[AESGCM, int]:
        mode = self._take(1)
        try:
            if mode == COUNTRY:
                key_id = self._take(self._take(1)[0]).decode()
                key = keys.key_by_id(self.binding.country_id, key_id).key
            elif mode == OWN:
                master_id = self._take(self._take(1)[0]).decode()
                wrapped = self._take(struct.unpack(">H", self._take(2))[0])
                key = keys.master_keys().unwrap(wrapped, master_id)
            else:
                raise FileAltered(str(ALTERED_MESSAGE))
            (chunk,) = struct.unpack(">I", self._take(4))
        except keys.KeyDestroyed:
            raise FileGone(str(GONE_MESSAGE)) from None
        except (keys.CannotOpen, IndexError, struct.error, UnicodeDecodeError):
            raise FileAltered(str(ALTERED_MESSAGE)) from None
        if not 0 < chunk <= 64 << 20:
            raise FileAltered(str(ALTERED_MESSAGE))
        return AESGCM(key), chunk

    def _advance(self) -> None:
        current = self.pending
        if len(current) < NONCE + TAG:
            raise FileAltered(str(ALTERED_MESSAGE))
        self.pending = self._take(NONCE + self.chunk + TAG) if len(current) == NONCE + self.chunk + TAG else b""
        last = not self.pending
        try:
            plain = self.aead.decrypt(current[:NONCE], current[NONCE:], _chunk_aad(self.binding, self.index, last))
        except InvalidTag:
            raise FileAltered(str(ALTERED_MESSAGE)) from None
        self.buffer += plain
        self.index += 1
        self.done = last

    def readable(self) -> bool:
        return True

    def readinto(self, target) -> int:
        while not self.buffer and not self.done:
            self._advance()
        n = min(len(target), len(self.buffer))
        target[:n] = self.buffer[:n]
        self.buffer = self.buffer[n:]
        return n

    def close(self) -> None:
        self.raw.close()
        super().close()


# --- The doors ------------------------------------------------------------------------------------------


def keys_destroyed(country_id: int) -> bool:
    """Whether the country's data keys were destroyed (it left the programme)."""
    return keys.country_keys_destroyed(country_id)


def _put(name: str, content: BinaryIO, *, replace: bool) -> str:
    store = storage()
    if replace and store.exists(name):
        store.delete(name)
    return store.save(name, File(content, name=name))


def file_save(
    *,
    row: models.Model,
    name: str,
    content: bytes | BinaryIO,
    slot: str = "file",
    own_key: bool = False,
    replace: bool = False,
) -> tuple[str, int, str]:
    """Seal `content` for `row` and store it under `name` (or a free name near it). Returns the
    stored name, the plaintext's size and its SHA-256."""
    source = io.BytesIO(content) if isinstance(content, bytes) else content
    with tempfile.SpooledTemporaryFile(max_size=SPOOL) as sealed:
        size, digest = seal_stream(source, sealed, binding_for(row, slot), own_key=own_key)
        sealed.seek(0)
        stored = _put(name, sealed, replace=replace)
    return stored, size, digest


def file_is_sealed(name: str) -> bool:
    with storage().open(name, "rb") as handle:
        return handle.read(len(MAGIC)) == MAGIC


def file_key_id(name: str) -> str | None:
    """The id of the country key a stored file is sealed under (None: in the clear, or a key of its own)."""
    with storage().open(name, "rb") as handle:
        head = handle.read(len(MAGIC) + 2 + 255)
    if not head.startswith(MAGIC) or head[len(MAGIC) : len(MAGIC) + 1] != COUNTRY:
        return None
    length = head[len(MAGIC) + 1]
    return head[len(MAGIC) + 2 : len(MAGIC) + 2 + length].decode("ascii", "replace")


def file_open(*, row: models.Model, name: str, slot: str = "file") -> BinaryIO:
    """The plaintext of the file `row` names, as a readable stream. FileNotFoundError when storage
    no longer has it; FileGone when its key was destroyed; FileAltered when it does not open here."""
    binding = binding_for(row, slot)
    raw = storage().open(name, "rb")
    try:
        if raw.read(len(MAGIC)) != MAGIC:
            # Stored before files were sealed: readable until re-sealed, never once the keys are
            # gone, and not at all once the operator says every file was sealed (then a file in the
            # clear can only have been put there behind the portal's back).
            if keys_destroyed(binding.country_id):
                raise FileGone(str(GONE_MESSAGE))
            if not getattr(settings, "FILES_ACCEPT_UNSEALED", True):
                raise FileAltered(str(ALTERED_MESSAGE))
            raw.seek(0)
            return raw
        return io.BufferedReader(OpenedFile(raw, binding), buffer_size=CHUNK)
    except BaseException:
        raw.close()
        raise


def file_read(*, row: models.Model, name: str, slot: str = "file") -> bytes:
    with file_open(row=row, name=name, slot=slot) as handle:
        return handle.read()


def file_copy(*, row: models.Model, name: str, out: BinaryIO, slot: str = "file") -> tuple[int, str]:
    """Copy the plaintext into `out`; returns its size and SHA-256."""
    digest, size = hashlib.sha256(), 0
    with file_open(row=row, name=name, slot=slot) as handle:
        while block := handle.read(CHUNK):
            digest.update(block)
            size += len(block)
            out.write(block)
    return size, digest.hexdigest()


def file_exists(name: str) -> bool:
    return bool(name) and storage().exists(name)


def file_delete(name: str) -> bool:
    """Delete a stored file; whether there was one."""
    store = storage()
    if name and store.exists(name):
        store.delete(name)
        return True
    return False


def file_reseal(*, row: models.Model, name: str, slot: str = "file", own_key: bool = False) -> bool:
    """Seal in place a file stored before sealing, or sealed under a country key that is no longer
    the active one (after a rotation); whether it needed it. Safe to repeat and to resume: the
    sealed copy is made beside it first, and a copy left by an interrupted run is finished rather
    than made again."""
    store = storage()
    beside = f"{name}.sealing"
    if not store.exists(name):
        if store.exists(beside):  # interrupted between removing the old file and moving the copy in
            with store.open(beside, "rb") as copy:
                _put(name, copy, replace=True)
            store.delete(beside)
            return True
        return False
    if file_is_sealed(name):
        key_id = file_key_id(name)
        if key_id is None or key_id == keys.active_key(row.country_id).key_id:
            file_delete(beside)
            return False
        source = file_open(row=row, name=name, slot=slot)  # opened under its retired key
    else:
        source = store.open(name, "rb")
    with source:
        file_save(row=row, name=beside, content=source, slot=slot, own_key=own_key, replace=True)
    with store.open(beside, "rb") as copy:
        _put(name, copy, replace=True)
    store.delete(beside)
    return True
