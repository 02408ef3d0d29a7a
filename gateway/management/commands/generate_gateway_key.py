"""python manage.py generate_gateway_key --file /keys/gateway_policy_key — the key under which the
portal's workers seal upstream keys for the gateway (GATEWAY_POLICY_KEY_FILE), if missing. Only the
workers and the gateway read it; rotating it means publishing every policy again."""

import base64
import os
import secrets
from pathlib import Path

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Create the gateway key file (GATEWAY_POLICY_KEY_FILE) if it does not exist; never overwrites."

    def add_arguments(self, parser):
        parser.add_argument("--file", required=True, help="Path of the key file")

    def handle(self, *args, file: str, **options):
        path = Path(file)
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists():
            self.stdout.write(f"  {path} exists; kept")
            return
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as out:
            out.write(base64.b64encode(secrets.token_bytes(32)))
        self.stdout.write(f"  {path} created")
