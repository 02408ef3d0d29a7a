"""python manage.py rotate_signing_key — put a new ledger signing key in service.

The current key's public half goes into the keyring (LEDGER_KEYRING_FILE, by default
ledger-keyring.json beside LEDGER_SIGNING_KEY_FILE) with its window closed now; a new private key
replaces LEDGER_SIGNING_KEY_FILE; the retired private key is kept beside it as
<file>.<key id>.retired (back it up with the keys, then destroy it: nothing needs it to verify).
Checkpoints and manifests signed before keep verifying under the key they name; restart the web,
workers and beat so that they sign with the new key and publish the keyring."""

import json
import os
from datetime import UTC
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from tenants.record import signing


def _write(path: Path, data: bytes, mode: int = 0o600) -> None:
    partial = path.with_name(path.name + ".partial")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(descriptor, "wb") as out:
        out.write(data)
    partial.replace(path)


class Command(BaseCommand):
    help = "Retire the ledger signing key into the keyring and put a new one in service."

    def handle(self, *args, **options):
        key_file = os.environ.get("LEDGER_SIGNING_KEY_FILE", "")
        if not key_file:
            raise CommandError(
                "LEDGER_SIGNING_KEY_FILE must name the key file to rotate (a key given inline cannot be)."
            )
        key_path, ring_path = Path(key_file), signing.keyring_file()
        signing.signing_key_reset()
        old = signing.signing_key()
        old_id = signing.key_id_of(old.public_key())
        now = timezone.now().astimezone(UTC).strftime(signing.TIME_FORMAT)
        entries = [entry for entry in signing.keyring_entries_read(ring_path) if entry["key_id"] != old_id]
        previous = next((entry for entry in signing.keyring_entries_read(ring_path) if entry["key_id"] == old_id), None)
        entries.append(
            {
                "key_id": old_id,
                "public_key": signing.pem_of(old.public_key()),
                "valid_from": previous["valid_from"] if previous else None,
                "valid_until": now,
            }
        )
        new = Ed25519PrivateKey.generate()
        new_id = signing.key_id_of(new.public_key())
        entries.append(
            {"key_id": new_id, "public_key": signing.pem_of(new.public_key()), "valid_from": now, "valid_until": None}
        )
        retired = key_path.with_name(f"{key_path.name}.{old_id}.retired")
        _write(retired, key_path.read_bytes())
        # The keyring first: if the process stops between the two writes, the old key still signs
        # and its window simply closes at its next rotation.
        _write(ring_path, json.dumps({"keys": entries}, indent=2).encode(), 0o644)
        _write(
            key_path,
            new.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            ),
        )
        signing.signing_key_reset()
        self.stdout.write(f"Retired key {old_id} (valid until {now}); its private half is kept in {retired}.")
        self.stdout.write(f"New signing key {new_id} in {key_path}; keyring {ring_path}.")
        self.stdout.write("Restart the web, workers and beat so that they sign with the new key.")
