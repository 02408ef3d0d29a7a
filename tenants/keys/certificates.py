"""The key that signs training certificates' verification codes: a key of its own (not
SECRET_KEY), from CERTIFICATE_KEY or CERTIFICATE_KEY_FILE, required when DEBUG is off; in
development and the suite a random one is created once under var/ (VAR_DIR; never committed).

The keys it replaced, while certificates signed under them are still in use, are its fallbacks
(CERTIFICATE_KEY_FALLBACKS, comma-separated, or one a line in the file CERTIFICATE_KEY_FALLBACKS_FILE
names): a code signed under one of them still checks, and nothing new is signed with them. A key
that leaked is never one: it would let anyone make codes that check (docs/operations.md)."""

from __future__ import annotations

import secrets
import threading

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from tenants.configuration import env_secret_list, env_str
from tenants.secret_files import secret_file

MIN_LENGTH = 32
_lock = threading.Lock()
_keys: tuple[str, ...] | None = None


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


def _load_fallbacks(current: str) -> tuple[str, ...]:
    fallbacks = env_secret_list("CERTIFICATE_KEY_FALLBACKS")
    for number, value in enumerate(fallbacks, start=1):
        if len(value) < MIN_LENGTH:
            raise ImproperlyConfigured(
                f"CERTIFICATE_KEY_FALLBACKS: key {number} is shorter than {MIN_LENGTH} characters; each is a "
                "certificate key the portal used before (the file holds one a line)."
            )
    return tuple(value for value in dict.fromkeys(fallbacks) if value != current)


def certificate_keys() -> tuple[str, ...]:
    """The current key first, then its fallbacks: every key a code may have been signed under."""
    global _keys
    with _lock:
        if _keys is None:
            current = _load()
            _keys = (current, *_load_fallbacks(current))
        return _keys


def certificate_key() -> str:
    """The key new codes are signed under."""
    return certificate_keys()[0]


def certificate_key_reset(value: str | None = None, fallbacks: tuple[str, ...] = ()) -> None:
    """Forget the loaded keys (tests, or after the environment changed); or set them."""
    global _keys
    with _lock:
        _keys = (value, *fallbacks) if value is not None else None
