"""The portal's Ed25519 signing key for ledger checkpoints and report manifests.

The private half comes from LEDGER_SIGNING_KEY (PEM, PKCS#8) or LEDGER_SIGNING_KEY_FILE, never
from the database; in development a key file is created once under var/ (VAR_DIR). The public half is
published at /.well-known/ledger-key.pem and shipped in every export.

The keyring: keys retired by `manage.py rotate_signing_key` stay in LEDGER_KEYRING_FILE (JSON: each
key's id, public half and validity window), so that checkpoints signed before a rotation still
verify, each under the key it names, and only within that key's window. The keyring, the current
key included, is published at /.well-known/ledger-keyring.json and shipped in ledger exports."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import threading
from datetime import UTC
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from tenants.configuration import env_str
from tenants.secret_files import secret_file

_lock = threading.Lock()
_key: Ed25519PrivateKey | None = None


def _load() -> Ed25519PrivateKey:
    pem = env_str("LEDGER_SIGNING_KEY")
    if not pem:
        if not (settings.DEBUG or settings.TESTING or settings.EMBEDDED):
            raise ImproperlyConfigured("LEDGER_SIGNING_KEY or LEDGER_SIGNING_KEY_FILE must be set when DEBUG is off.")
        dev_file = secret_file(settings.VAR_DIR, "LEDGER_SIGNING_KEY")
        dev_file.parent.mkdir(parents=True, exist_ok=True)
        if not dev_file.exists():
            fresh = Ed25519PrivateKey.generate()
            dev_file.write_bytes(
                fresh.private_bytes(
                    serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
                )
            )
            dev_file.chmod(0o600)
        pem = dev_file.read_text()
    key = serialization.load_pem_private_key(pem.encode(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ImproperlyConfigured("LEDGER_SIGNING_KEY must be an Ed25519 private key (PEM, PKCS#8).")
    return key


def signing_key() -> Ed25519PrivateKey:
    global _key
    with _lock:
        if _key is None:
            _key = _load()
        return _key


def signing_key_reset(key: Ed25519PrivateKey | None = None) -> None:
    global _key
    with _lock:
        _key = key


def public_key() -> Ed25519PublicKey:
    return signing_key().public_key()


def public_key_pem() -> str:
    return (
        public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    )


def public_key_id() -> str:
    raw = public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def sign(message: bytes) -> str:
    return base64.b64encode(signing_key().sign(message)).decode()


# --- The keyring: the current key and the retired ones, each with its validity window -----------

TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"  # the ledger's own (tenants.record.ledger.format_time)


def key_id_of(public: Ed25519PublicKey) -> str:
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def pem_of(public: Ed25519PublicKey) -> str:
    return public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def keyring_file() -> Path | None:
    name = os.environ.get("LEDGER_KEYRING_FILE", "")
    if name:
        return Path(name)
    key_file = os.environ.get("LEDGER_SIGNING_KEY_FILE", "")
    return secret_file(Path(key_file).parent, "LEDGER_KEYRING") if key_file else None


def keyring_entries_read(path: Path | None = None) -> list[dict]:
    """The keys listed in the keyring file (retired ones, and the current one once rotated to)."""
    path = path or keyring_file()
    if path is None or not path.exists():
        return []
    entries = json.loads(path.read_text())["keys"]
    for entry in entries:
        public = serialization.load_pem_public_key(entry["public_key"].encode())
        if not isinstance(public, Ed25519PublicKey) or key_id_of(public) != entry["key_id"]:
            raise ImproperlyConfigured(f"The ledger keyring's key {entry.get('key_id')} does not match its id.")
    return entries


def keyring() -> list[dict]:
    """Every key that may have signed: {key_id, public_key (PEM), valid_from, valid_until} (times
    as the ledger writes them, TIME_FORMAT in UTC; None for open ends), the current key last."""
    current = key_id_of(public_key())
    entries = [dict(entry) for entry in keyring_entries_read()]
    if not any(entry["key_id"] == current for entry in entries):
        entries.append({"key_id": current, "public_key": public_key_pem(), "valid_from": None, "valid_until": None})
    return entries


def public_key_for(key_id: str, at=None) -> Ed25519PublicKey | None:
    """The public key named `key_id`, if the keyring has it (and, given `at`, its window holds it)."""
    for entry in keyring():
        if entry["key_id"] != key_id:
            continue
        if at is not None:
            stamp = at if isinstance(at, str) else at.astimezone(UTC).strftime(TIME_FORMAT)
            if (entry["valid_from"] and stamp < entry["valid_from"]) or (
                entry["valid_until"] and stamp > entry["valid_until"]
            ):
                return None
        return serialization.load_pem_public_key(entry["public_key"].encode())
    return None


def document_signature_valid(message: bytes, signature: str, *, key_id: object, signed_at: object) -> bool:
    """Whether `signature` is the portal's over a document that names the key it was signed under
    (`key_id`) and when (`signed_at`, ISO 8601): under that key of the keyring, within its window
    then. A document signed before a rotation still checks; one naming no key, or a time that cannot
    be read, does not."""
    from datetime import datetime

    try:
        at = datetime.fromisoformat(str(signed_at))
    except ValueError:
        return False
    if not isinstance(key_id, str) or not key_id or at.utcoffset() is None:
        return False
    return signature_valid_under(message, signature, key_id, at)


def signature_valid_under(message: bytes, signature: str, key_id: str, at=None) -> bool:
    """Whether `signature` is that of the keyring's key `key_id` (within its window at `at`)."""
    key = public_key_for(key_id, at)
    if key is None:
        return False
    try:
        key.verify(base64.b64decode(signature, validate=True), message)
        return True
    except (InvalidSignature, ValueError):
        return False
