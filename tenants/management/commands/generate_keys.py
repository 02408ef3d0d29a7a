"""python manage.py generate_keys --dir /keys — create the master key, the ledger signing key, the
certificate key, the gateway's key and Django's secret key files if they do not exist yet (never
overwrites: losing one would be irreversible), under the names docker compose and Kubernetes mount
and scripts/generate_secrets.py writes (tenants.secret_files): point each NAME_FILE at its file."""

import base64
import os
import secrets
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.management.base import BaseCommand, CommandError

from tenants.secret_files import KEYS, SECRET_FILES, secret_file

MAKERS = {
    "SECRET_KEY": lambda: secrets.token_urlsafe(50).encode(),
    "CERTIFICATE_KEY": lambda: secrets.token_urlsafe(48).encode(),
    "PORTAL_MASTER_KEY": lambda: base64.b64encode(secrets.token_bytes(32)),
    "GATEWAY_POLICY_KEY": lambda: base64.b64encode(secrets.token_bytes(32)),
    "LEDGER_SIGNING_KEY": lambda: Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ),
}


class Command(BaseCommand):
    help = (
        "Create "
        + ", ".join(f"{SECRET_FILES[setting]} ({setting}_FILE)" for setting in KEYS)
        + " in a directory, if missing. Keep them out of the database and back them up separately."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dir", required=True, help="Directory for the key files")

    def handle(self, *args, dir: str, **options):
        folder = Path(dir)
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise CommandError(f"Cannot make the folder {folder}: {error.strerror}.") from None
        for setting in KEYS:
            path = secret_file(folder, setting)
            if path.exists():
                self.stdout.write(f"  {path} exists; kept ({setting}_FILE)")
                continue
            try:
                descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except OSError as error:
                raise CommandError(f"Cannot write {path}: {error.strerror}.") from None
            with os.fdopen(descriptor, "wb") as out:
                out.write(MAKERS[setting]())
            self.stdout.write(f"  created {path} ({setting}_FILE)")
