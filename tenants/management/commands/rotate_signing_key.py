"""python manage.py rotate_signing_key [--output-dir DIR] — put a new ledger signing key in service.

The current key's public half goes into the keyring (LEDGER_KEYRING_FILE, by default
ledger_keyring beside LEDGER_SIGNING_KEY_FILE) with its window closing after a grace period
(--grace-hours, 24 by default): every web, worker and beat process keeps signing with the key it
loaded until it is restarted, and what it signs in between must keep verifying. A new private key
replaces LEDGER_SIGNING_KEY_FILE; the retired private key is kept beside it as
<file>.<key id>.retired (back it up with the keys, then destroy it: nothing needs it to verify).
Checkpoints and manifests signed before keep verifying under the key they name; restart the web,
workers and beat within the grace period so that they sign with the new key and publish the keyring
(a checkpoint the old key signs after its window closed would not verify).

Keys mounted read-only (docker compose or Kubernetes secrets) cannot be replaced in place. The
command then changes nothing and exits with status 3, saying what to do: run it again with
--output-dir, a private writable folder, where it writes the new key, the keyring and the retired
key under the names the secret uses; the operator puts them in the secret and restarts. No key
material is ever printed or logged: only key ids and file names. The rotation goes on the platform
chain (`ledger.signing_key_rotated`: both fingerprints and the windows, nothing more)."""

import json
import os
import tempfile
from datetime import UTC, timedelta
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from tenants.record import signing
from tenants.record.services import signing_key_rotation_record
from tenants.secret_files import secret_file

READ_ONLY_EXIT = 3  # nothing changed: the key files cannot be written where they are


def _write(path: Path, data: bytes, mode: int = 0o600) -> None:
    partial = path.with_name(path.name + ".partial")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(descriptor, "wb") as out:
        out.write(data)
    partial.replace(path)


def _writable(path: Path) -> bool:
    """Whether `path` can be replaced: a file can be made in its folder (a read-only mount or an
    immutable folder refuses) and the file itself, if present, may be written."""
    try:
        descriptor, probe = tempfile.mkstemp(dir=path.parent, prefix=".rotate-probe-")
        os.close(descriptor)
        os.unlink(probe)
        if path.exists():
            os.close(os.open(path, os.O_WRONLY | os.O_APPEND))
    except OSError:
        return False
    return True


def _private_pem(key: Ed25519PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


class Command(BaseCommand):
    help = (
        "Retire the ledger signing key into the keyring and put a new one in service. With keys mounted "
        "read-only, write the new files to --output-dir for the secret instead (exit status 3 without it)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--grace-hours",
            type=int,
            default=24,
            help="How long the retired key's signatures still verify, for the processes that hold it until "
            "they are restarted (hours, 0 to 720; 24 by default). 0 when the key leaked: its window closes at "
            "once, and what the processes sign until they restart will not verify.",
        )
        parser.add_argument(
            "--output-dir",
            help="A private, writable folder for the new key, the keyring and the retired key, when the "
            "mounted key files cannot be replaced in place (Kubernetes or compose secrets).",
        )

    def handle(self, *args, output_dir=None, grace_hours=24, **options):
        if not 0 <= grace_hours <= 720:
            raise CommandError(
                "--grace-hours is from 0 to 720: time enough to restart every process that signs, or 0 when the "
                "key leaked (nothing was changed)."
            )
        key_file = os.environ.get("LEDGER_SIGNING_KEY_FILE", "")
        if not key_file and not output_dir:
            raise CommandError(
                "LEDGER_SIGNING_KEY_FILE must name the key file to rotate (a key given inline cannot be "
                "replaced in place: run again with --output-dir to write the new files elsewhere)."
            )
        key_path = Path(key_file) if key_file else Path("ledger_signing_key")
        ring_path = signing.keyring_file() or secret_file(key_path.parent, "LEDGER_KEYRING")
        if output_dir:
            target = Path(output_dir)
            try:
                target.mkdir(mode=0o700, parents=True, exist_ok=True)
            except OSError as error:
                raise CommandError(f"Cannot make the folder {target}: {error.strerror}.") from None
            new_key_path, new_ring_path = target / key_path.name, target / ring_path.name
            taken = [p.name for p in (new_key_path, new_ring_path) if p.exists()]
            if taken:
                raise CommandError(
                    f"{target} already holds {', '.join(taken)}: give an empty folder (nothing was changed)."
                )
            if not _writable(new_key_path):
                raise CommandError(f"Cannot write in {target}: give a writable folder (nothing was changed).")
        else:
            new_key_path, new_ring_path = key_path, ring_path
            blocked = [str(p) for p in (key_path, ring_path) if not _writable(p)]
            if blocked:
                raise CommandError(
                    f"Cannot replace {' and '.join(blocked)}: the keys are mounted read-only (a secret). "
                    "Nothing was changed. Run again with --output-dir DIR (a private, writable folder): "
                    f"the new {key_path.name}, {ring_path.name} and the retired key are written there; "
                    "put the first two in the secret that holds the keys, restart the web, workers and "
                    "beat, keep the retired key with the key backups and delete DIR.",
                    returncode=READ_ONLY_EXIT,
                )

        signing.signing_key_reset()
        old = signing.signing_key()
        old_id = signing.key_id_of(old.public_key())
        started = timezone.now().astimezone(UTC)
        now = started.strftime(signing.TIME_FORMAT)
        closes = (started + timedelta(hours=grace_hours)).strftime(signing.TIME_FORMAT)
        known = signing.keyring_entries_read(ring_path)
        entries = [entry for entry in known if entry["key_id"] != old_id]
        previous = next((entry for entry in known if entry["key_id"] == old_id), None)
        entries.append(
            {
                "key_id": old_id,
                "public_key": signing.pem_of(old.public_key()),
                "valid_from": previous["valid_from"] if previous else None,
                "valid_until": closes,
            }
        )
        new = Ed25519PrivateKey.generate()
        new_id = signing.key_id_of(new.public_key())
        entries.append(
            {"key_id": new_id, "public_key": signing.pem_of(new.public_key()), "valid_from": now, "valid_until": None}
        )
        retired = new_key_path.with_name(f"{key_path.name}.{old_id}.retired")
        _write(retired, _private_pem(old))
        # The keyring first: if the process stops between the two writes, the old key still signs
        # and its window simply closes at its next rotation.
        _write(new_ring_path, json.dumps({"keys": entries}, indent=2).encode(), 0o644)
        _write(new_key_path, _private_pem(new))
        signing.signing_key_reset()
        # On the platform chain: when the key changed and which fingerprint took over. Signed by
        # the next checkpoint of that chain, under the new key.
        signing_key_rotation_record(
            retired_key_id=old_id, new_key_id=new_id, retired_until=closes, new_from=now, in_place=not output_dir
        )
        self.stdout.write(
            f"Retired key {old_id} (its signatures verify until {closes}: restart the web, workers and beat "
            f"before then); its private half is kept in {retired}."
        )
        self.stdout.write(f"New signing key {new_id} in {new_key_path}; keyring {new_ring_path}.")
        if output_dir:
            self.stdout.write(
                f"Put {new_key_path.name} and {new_ring_path.name} from {new_key_path.parent} in the secret that "
                f"holds the keys (as {key_path} and {ring_path}), then restart the web, workers and beat. Keep "
                f"{retired.name} with the key backups, then delete {new_key_path.parent}."
            )
        else:
            self.stdout.write("Restart the web, workers and beat so that they sign with the new key.")
