"""The key that signs training certificates' verification codes: a key of its own (not
SECRET_KEY), from CERTIFICATE_KEY or CERTIFICATE_KEY_FILE, required when DEBUG is off; in
development and the suite a random one is created once under var/ (VAR_DIR; never committed)."""

from __future__ import annotations

import secrets
import threading

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from tenants.configuration import env_str
from tenants.secret_files import secret_file

MIN_LENGTH = 32
_lock = threading.Lock()
_key: str | None = None


def _load() -> str:
    value = env_str("CERTIFICATE_KEY")
    if not value:
        if not (settings.DEBUG or settings.TESTING or settings.EMBEDDED):
            raise ImproperlyConfigured("CERTIFICATE_KEY or CERTIFICATE_KEY_FILE must be set when DEBUG is off.")
        dev_file = secret_file(settings.VAR_DIR, "CERTIFICATE_KEY")
        dev_file.parent.mkdir(parents=True, exist_ok=True)
        if not dev_file.exists():
            dev_file.write_text(secrets.token_urlsafe(48))
            dev_file.chmod(0o600)
        value = dev_file.read_text().strip()
    if len(value) < MIN_LENGTH:
        raise ImproperlyConfigured(f"CERTIFICATE_KEY must be at least {MIN_LENGTH} random characters.")
    return value


def certificate_key() -> str:
    global _key
    with _lock:
        if _key is None:
            _key = _load()
        return _key


def certificate_key_reset(value: str | None = None) -> None:
    """Forget the loaded key (tests, or after the environment changed)."""
    global _key
    with _lock:
        _key = value
