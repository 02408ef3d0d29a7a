"""python manage.py generate_keys --dir /keys — create the master key, the ledger signing key, the
certificate key and Django's secret key files if they do not exist yet (never overwrites: losing either would be irreversible)."""

import base64
import os
import secrets
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = (
        "Create master.key (PORTAL_MASTER_KEY_FILE), ledger-signing.pem (LEDGER_SIGNING_KEY_FILE), "
        "certificate.key (CERTIFICATE_KEY_FILE) and secret.key (SECRET_KEY_FILE) in a directory, if missing. Keep them out of the database and back them up separately."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dir", required=True, help="Directory for the key files")

    def handle(self, *args, dir: str, **options):
        folder = Path(dir)
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise CommandError(f"Cannot make the folder {folder}: {error.strerror}.") from None
        master, signing = folder / "master.key", folder / "ledger-signing.pem"
        for path, make in (
            (folder / "certificate.key", lambda: secrets.token_urlsafe(48).encode()),
            (folder / "secret.key", lambda: secrets.token_urlsafe(50).encode()),
            (master, lambda: base64.b64encode(secrets.token_bytes(32))),
            (
                signing,
                lambda: Ed25519PrivateKey.generate().private_bytes(
                    serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
                ),
            ),
        ):
            if path.exists():
                self.stdout.write(f"  {path} exists; kept")
                continue
            try:
                descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except OSError as error:
                raise CommandError(f"Cannot write {path}: {error.strerror}.") from None
            with os.fdopen(descriptor, "wb") as out:
                out.write(make())
            self.stdout.write(f"  created {path}")
