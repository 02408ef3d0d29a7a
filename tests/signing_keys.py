"""The ledger signing key of a test, kept in files of its own: the `key_files` fixture (a fresh
Ed25519 key, the keyring beside it, both found through the settings the portal reads) and a chain
grown by a few events and a signed checkpoint. Used by the keyring and rotation tests."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tenants.isolation import country_context
from tenants.record import signing
from tenants.record.ledger import checkpoint_create, event_record


@pytest.fixture
def key_files(tmp_path, monkeypatch):
    key_file = tmp_path / "ledger_signing_key"
    key_file.write_bytes(
        Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    monkeypatch.delenv("LEDGER_SIGNING_KEY", raising=False)
    monkeypatch.setenv("LEDGER_SIGNING_KEY_FILE", str(key_file))
    monkeypatch.setenv("LEDGER_KEYRING_FILE", str(tmp_path / "ledger-keyring.json"))
    signing.signing_key_reset()
    yield tmp_path
    signing.signing_key_reset()


def events_and_checkpoint(country, n: int):
    """`n` events on the country's chain, then a checkpoint signed over its head."""
    with country_context(country):
        for index in range(n):
            event_record(country=country, action="test.step", payload={"n": index})
    return checkpoint_create(country=country)


def hours_later(monkeypatch, hours: float) -> None:
    """From now on in the test, the clock reads `hours` later (a checkpoint signed then is dated
    then): to sign after a retired key's grace period has run out."""
    from datetime import timedelta

    from django.utils import timezone

    real = timezone.now
    monkeypatch.setattr(timezone, "now", lambda: real() + timedelta(hours=hours))
