"""Envelope encryption (DESIGN §6): a master key wraps one data key per country; fields are sealed
with AES-GCM under the country's key, bound to their place by associated data.

Destroying a country's keys takes effect at once in every process: a process keeps an unwrapped
key in memory for up to KEY_CACHE_SECONDS, but before each use it compares the epoch the key was
loaded under with the country's current key epoch (tenants.country_state: one small lookup, taken
once per request or task). Destruction bumps the epoch, so the next use anywhere reloads the key
row, finds it destroyed and opens nothing.

The master key comes from the environment (PORTAL_MASTER_KEY, base64 of 32 bytes) or a key file
(PORTAL_MASTER_KEY_FILE). `MasterKeyProvider` is the seam for an external KMS or HSM later.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import secrets
import threading
import time
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.keywrap import InvalidUnwrap, aes_key_unwrap, aes_key_wrap
from django.apps import apps
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from tenants.configuration import env_file_text, env_str
from tenants.country_state import country_state, country_state_changed
from tenants.isolation import country_context
from tenants.secret_files import secret_file

SEAL_PREFIX = "enc1"
KEY_CACHE_SECONDS = 60


class KeyDestroyed(Exception):
    """The country's data key was destroyed (crypto-shredding): its sealed values are gone."""


class CannotOpen(Exception):
    """A sealed value does not open here: wrong country, table, column or row, or altered."""


# --- Master keys -------------------------------------------------------------------------------------


class MasterKeyProvider:
    """Wraps and unwraps country data keys. Implementations: LocalMasterKeys; a KMS later."""

    current_id: str

    def wrap(self, data_key: bytes) -> tuple[bytes, str]:
        raise NotImplementedError

    def unwrap(self, wrapped: bytes, master_key_id: str) -> bytes:
        raise NotImplementedError


def _key_id(key: bytes) -> str:
    return hashlib.sha256(b"portal-master-key-id|" + key).hexdigest()[:12]


class LocalMasterKeys(MasterKeyProvider):
    """Master keys held by this process. The first is current; older ones stay for unwrapping
    until every country key has been re-wrapped (`country_keys_rewrap`)."""

    def __init__(self, keys: list[bytes]):
        if not keys:
            raise ImproperlyConfigured("No master key configured.")
        for key in keys:
            if len(key) != 32:
                raise ImproperlyConfigured("A master key must be 32 bytes (base64 of 32 random bytes).")
        self.keys = {_key_id(key): key for key in keys}
        self.current_id = _key_id(keys[0])

    def wrap(self, data_key: bytes) -> tuple[bytes, str]:
        return aes_key_wrap(self.keys[self.current_id], data_key), self.current_id

    def unwrap(self, wrapped: bytes, master_key_id: str) -> bytes:
        key = self.keys.get(master_key_id)
        if key is None:
            raise ImproperlyConfigured(f"Master key {master_key_id} is not configured; cannot unwrap.")
        try:
            return aes_key_unwrap(key, wrapped)
        except InvalidUnwrap:
            raise ImproperlyConfigured(f"Master key {master_key_id} does not unwrap this data key.") from None


def _decode(value: str, origin: str) -> bytes:
    try:
        return base64.b64decode(value.strip(), validate=True)
    except ValueError:
        raise ImproperlyConfigured(f"{origin} must be base64 of 32 random bytes.") from None


def _load_master_keys() -> MasterKeyProvider:
    """PORTAL_MASTER_KEY (or _FILE) is current; PORTAL_OLD_MASTER_KEYS (or _FILE; comma- or
    line-separated) unwrap only."""
    raw = env_str("PORTAL_MASTER_KEY")
    if not raw:
        if not (settings.DEBUG or settings.TESTING or settings.EMBEDDED):
            raise ImproperlyConfigured("PORTAL_MASTER_KEY or PORTAL_MASTER_KEY_FILE must be set when DEBUG is off.")
        # Development only: a key file created once beside the embedded database.
        dev_file = secret_file(settings.VAR_DIR, "PORTAL_MASTER_KEY")
        dev_file.parent.mkdir(parents=True, exist_ok=True)
        if not dev_file.exists():
            dev_file.write_text(base64.b64encode(secrets.token_bytes(32)).decode())
            dev_file.chmod(0o600)
        raw = dev_file.read_text().strip()
    keys = [_decode(raw, "PORTAL_MASTER_KEY")]
    # The keys being retired, still able to unwrap until `rotate_keys --rewrap` has run: inline, or
    # (as every secret) from a file, comma- or line-separated.
    old_keys = os.environ.get("PORTAL_OLD_MASTER_KEYS", "")
    if (old_file := env_file_text("PORTAL_OLD_MASTER_KEYS")) is not None:
        old_keys = f"{old_keys},{old_file}"
    for old in filter(None, (item.strip() for item in old_keys.replace("\n", ",").split(","))):
        keys.append(_decode(old, "PORTAL_OLD_MASTER_KEYS"))
    return LocalMasterKeys(keys)


_provider: MasterKeyProvider | None = None
_provider_lock = threading.Lock()


def master_keys() -> MasterKeyProvider:
    global _provider
    with _provider_lock:
        if _provider is None:
            _provider = _load_master_keys()
        return _provider


def master_keys_reset(provider: MasterKeyProvider | None = None) -> None:
    """Forget the loaded master keys (tests, or after the environment changed)."""
    global _provider
    with _provider_lock:
        _provider = provider


# --- Country data keys ----------------------------------------------------------------------------


@dataclass(frozen=True)
class DataKey:
    key_id: str
    key: bytes
    epoch: int = 0  # the country's key epoch when the key was loaded


# (country_id, key_id) -> (DataKey, loaded at). Unwrapping costs a master-key operation (later a KMS
# call), so a key is kept for a while; whether it may still be used is asked on every use (_epoch).
_cache: dict[tuple[int, str], tuple[DataKey, float]] = {}
_active: dict[int, tuple[str, float]] = {}
_cache_lock = threading.Lock()


def key_cache_clear(country_id: int | None = None) -> None:
    with _cache_lock:
        for cache_key in [k for k in _cache if country_id is None or k[0] == country_id]:
            del _cache[cache_key]
        for cid in [c for c in _active if country_id is None or c == country_id]:
            del _active[cid]


def _new_key_id() -> str:
    return secrets.token_hex(6)


def _models():
    """Country and CountryKey, looked up by name: the models' sealed fields use this module, so it
    cannot import them (that would be a circle)."""
    return apps.get_model("tenants", "Country"), apps.get_model("tenants", "CountryKey")


def country_key_create(*, country_id: int):
    """A new active data key for the country (the previous active one is retired)."""

    Country, CountryKey = _models()

    data_key = AESGCM.generate_key(bit_length=256)
    wrapped, master_id = master_keys().wrap(data_key)
    with country_context(country_id):
        CountryKey.objects.filter(country_id=country_id, state=CountryKey.State.ACTIVE).update(
            state=CountryKey.State.RETIRED, retired_at=timezone.now()
        )
        key = CountryKey.objects.create(
            country_id=country_id,
            key_id=_new_key_id(),
            wrapped_key=wrapped,
            master_key_id=master_id,
            state=CountryKey.State.ACTIVE,
        )
        # A new epoch, in the same transaction as the new key: a copy of a key any process keeps is
        # valid only under the epoch it was loaded in. If this transaction rolls back, the epoch
        # goes back with it, and a copy of the key that never was (loaded after this point in the
        # transaction, under the new epoch) is never used again: nothing is sealed under it.
        Country.objects.filter(pk=country_id).update(key_epoch=F("key_epoch") + 1)
    country_state_changed(country_id)
    key_cache_clear(country_id)
    return key


def country_keys_destroyed(country_id: int) -> bool:
    """Whether the country's data keys were destroyed (it left the programme)."""
    _, CountryKey = _models()
    with country_context(country_id):
        return CountryKey.objects.filter(country_id=country_id, state=CountryKey.State.DESTROYED).exists()


def _epoch(country_id: int) -> int:
    state = country_state(country_id)
    return state.key_epoch if state is not None else -1


def _load(country_id: int, key_id: str | None) -> DataKey:
    Country, CountryKey = _models()
    now = time.monotonic()
    epoch = _epoch(country_id)
    with _cache_lock:
        cached_id = key_id
        if key_id is None and country_id in _active and now - _active[country_id][1] < KEY_CACHE_SECONDS:
            cached_id = _active[country_id][0]
        if cached_id is not None:
            hit = _cache.get((country_id, cached_id))
            if hit and now - hit[1] < KEY_CACHE_SECONDS and hit[0].epoch == epoch:
                return hit[0]
    # Not kept, or kept under another epoch: the key asked for, or the active one as the database
    # has it now (never the one this process remembered as active).
    with country_context(country_id):
        qs = CountryKey.objects.filter(country_id=country_id)
        row = qs.filter(key_id=key_id).first() if key_id else qs.filter(state=CountryKey.State.ACTIVE).first()
        if row is None and key_id is None:
            if qs.filter(state=CountryKey.State.DESTROYED).exists():
                raise KeyDestroyed("This country's data key was destroyed.")
            with transaction.atomic():
                # Serialise the first key of a country so two writers don't create two.
                Country.objects.select_for_update().filter(pk=country_id).first()
                row = qs.filter(state=CountryKey.State.ACTIVE).first()
                if row is None:
                    row = country_key_create(country_id=country_id)
                    epoch = _epoch(country_id)  # the creation's own: void if it rolls back
        if row is None:
            raise CannotOpen(f"No data key {key_id} for this country.")
        if row.state == CountryKey.State.DESTROYED or not row.wrapped_key:
            raise KeyDestroyed("This country's data key was destroyed.")
        data_key = DataKey(row.key_id, master_keys().unwrap(bytes(row.wrapped_key), row.master_key_id), epoch)
    with _cache_lock:
        _cache[(country_id, data_key.key_id)] = (data_key, now)
        if row.state == CountryKey.State.ACTIVE:
            _active[country_id] = (data_key.key_id, now)
    return data_key


def active_key(country_id: int) -> DataKey:
    return _load(country_id, None)


def key_by_id(country_id: int, key_id: str) -> DataKey:
    return _load(country_id, key_id)


# --- Sealing values ------------------------------------------------------------------------------


def associated_data(country_code: str, table: str, column: str, pk: object) -> bytes:
    return f"{country_code}|{table}|{column}|{pk}".encode()


def seal(*, country_id: int, aad: bytes, plaintext: str) -> str:
    return seal_under(active_key(country_id), aad=aad, plaintext=plaintext)


def seal_under(data_key: DataKey, *, aad: bytes, plaintext: str) -> str:
    """The sealed form of a value under a given data key (`seal` takes the country's active one)."""
    nonce = secrets.token_bytes(12)
    ciphertext = AESGCM(data_key.key).encrypt(nonce, plaintext.encode("utf-8"), aad)
    return f"{SEAL_PREFIX}:{data_key.key_id}:{base64.b64encode(nonce + ciphertext).decode()}"


# A seal's whole shape: the prefix, a data key's id, and base64 of a nonce (12 bytes), the ciphertext
# and its tag (16 bytes, so at least 40 characters). A plain value may begin with "enc1:" (a person
# may write anything): only a value of this whole shape is taken for a seal, and one that then does
# not open is refused as altered (a seal moved from another row, or changed).
_SEALED_SHAPE = re.compile(
    rf"{SEAL_PREFIX}:([0-9a-z]{{1,16}}):"
    r"((?:[A-Za-z0-9+/]{4}){9,}(?:[A-Za-z0-9+/]{4}|[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=))"
)


def is_sealed(value: str) -> bool:
    """Whether `value` has the whole shape of a seal (not merely its prefix)."""
    return sealed_key_id(value) is not None


def sealed_key_id(sealed: str) -> str | None:
    found = _SEALED_SHAPE.fullmatch(sealed)
    return found.group(1) if found else None


def open_sealed(*, country_id: int, aad: bytes, sealed: str) -> str:
    found = _SEALED_SHAPE.fullmatch(sealed)
    if found is None:
        raise CannotOpen("Not a sealed value.")
    data_key = key_by_id(country_id, found.group(1))
    return _opened(data_key, aad, found.group(2))


def _opened(data_key: DataKey, aad: bytes, encoded: str) -> str:
    try:
        blob = base64.b64decode(encoded, validate=True)
        return AESGCM(data_key.key).decrypt(blob[:12], blob[12:], aad).decode("utf-8")
    except (InvalidTag, ValueError):
        raise CannotOpen("This value does not belong here or was altered.") from None
