"""The portal's Ed25519 signing key for ledger checkpoints and report manifests.

The private half comes from LEDGER_SIGNING_KEY (PEM, PKCS#8) or LEDGER_SIGNING_KEY_FILE, never
from the database; in development a key file is created once under var/. The public half is
published at /.well-known/ledger-key.pem and shipped in every export."""

from __future__ import annotations

import base64
import hashlib
import os
import threading
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

_lock = threading.Lock()
_key: Ed25519PrivateKey | None = None


def _load() -> Ed25519PrivateKey:
    pem = os.environ.get("LEDGER_SIGNING_KEY", "")
    key_file = os.environ.get("LEDGER_SIGNING_KEY_FILE", "")
    if key_file:
        pem = Path(key_file).read_text()
    if not pem:
        if not (settings.DEBUG or settings.TESTING or settings.EMBEDDED):
            raise ImproperlyConfigured("LEDGER_SIGNING_KEY or LEDGER_SIGNING_KEY_FILE must be set when DEBUG is off.")
        dev_file = Path(settings.BASE_DIR) / "var" / "ledger-signing.pem"
        dev_file.parent.mkdir(exist_ok=True)
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


def signature_valid(message: bytes, signature: str) -> bool:
    """Whether `signature` (base64) is the portal's over `message`."""
    try:
        public_key().verify(base64.b64decode(signature, validate=True), message)
        return True
    except (InvalidSignature, ValueError):
        return False
