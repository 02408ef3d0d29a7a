#!/usr/bin/env python3
"""Create the secret files of a deployment, if missing (never overwrites: a lost master or signing
key cannot be made again). Standard library only, so that it runs on any host before the first
`docker compose up`:

    python3 scripts/generate_secrets.py            # into ./secrets/
    python3 scripts/generate_secrets.py --dir DIR  # elsewhere (a Kubernetes secret's files, say)

Each file is one secret as docker compose (`secrets:`) and Kubernetes mount it, read by the portal
through NAME_FILE. The folder is made readable by its owner only; the files inside are readable
by the containers' user. Back up master_key, ledger_signing_key, certificate_key (and its
fallbacks) apart from the database: without the master key no country's data can be read again."""

from __future__ import annotations

import argparse
import base64
import os
import secrets
import sys
from pathlib import Path

# The names of the files are the portal's one list (tenants/secret_files.py, standard library only).
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tenants.secret_files import SECRET_FILES  # noqa: E402

# An Ed25519 private key in PKCS#8 is a fixed DER prefix followed by its 32-byte seed (RFC 8410).
_ED25519_PKCS8_PREFIX = bytes.fromhex("302e020100300506032b657004220420")


def ed25519_pem() -> str:
    der = _ED25519_PKCS8_PREFIX + secrets.token_bytes(32)
    body = base64.encodebytes(der).decode().strip()
    return f"-----BEGIN PRIVATE KEY-----\n{body}\n-----END PRIVATE KEY-----\n"


def _password() -> str:
    return secrets.token_urlsafe(32)


def secret_values(existing: dict[str, str], db_host: str, db_name: str) -> dict[str, str]:
    """The value of every secret file, reusing what already exists (the URLs follow the passwords)."""
    values = {setting: existing[name] for setting, name in SECRET_FILES.items() if name in existing}
    values.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
    values.setdefault("CERTIFICATE_KEY", secrets.token_urlsafe(48))
    values.setdefault("PORTAL_MASTER_KEY", base64.b64encode(secrets.token_bytes(32)).decode())
    values.setdefault("LEDGER_SIGNING_KEY", ed25519_pem())
    # The keyring of retired signing keys: empty until the first rotate_signing_key, whose new copy
    # replaces this file. Public keys only.
    values.setdefault("LEDGER_KEYRING", '{"keys": []}')
    values.setdefault("GATEWAY_POLICY_KEY", base64.b64encode(secrets.token_bytes(32)).decode())
    values.setdefault("POSTGRES_PASSWORD", _password())
    values.setdefault("APP_DB_PASSWORD", _password())
    values.setdefault("DEMO_PASSWORD", _password())
    values.setdefault("METRICS_TOKEN", secrets.token_urlsafe(32))
    # What a rotation retires, one a line, while what it signed or opened is still in use: empty
    # until then (docs/operations.md, "The keys"), mounted from the start so a rotation changes files only.
    for fallbacks in (
        "SECRET_KEY_FALLBACKS",
        "CERTIFICATE_KEY_FALLBACKS",
        "METRICS_TOKEN_FALLBACKS",
        "GATEWAY_POLICY_KEY_FALLBACKS",
    ):
        values.setdefault(fallbacks, "")
    # Object storage (MinIO in compose): its administrator's password and the portal's own account.
    values.setdefault("MINIO_ROOT_PASSWORD", _password())
    values.setdefault("S3_SECRET_ACCESS_KEY", _password())
    values.setdefault("DATABASE_URL", f"postgres://postgres:{values['POSTGRES_PASSWORD']}@{db_host}:5432/{db_name}")
    values.setdefault("APP_DATABASE_URL", f"postgres://portal_app:{values['APP_DB_PASSWORD']}@{db_host}:5432/{db_name}")
    return {SECRET_FILES[setting]: value for setting, value in values.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dir", default="secrets", help="folder of the secret files (default ./secrets)")
    parser.add_argument("--db-host", default="db", help="database host in the two URLs (default db)")
    parser.add_argument("--db-name", default="portal", help="database name in the two URLs (default portal)")
    args = parser.parse_args(argv)
    folder = Path(args.dir)
    folder.mkdir(parents=True, exist_ok=True)
    os.chmod(folder, 0o700)
    existing = {path.name: path.read_text().strip() for path in folder.iterdir() if path.is_file()}
    for name, value in secret_values(existing, args.db_host, args.db_name).items():
        path = folder / name
        if name in existing:
            print(f"  {path} exists; kept")
            continue
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        with os.fdopen(descriptor, "w") as out:
            out.write(value if value.endswith("\n") else value + "\n")
        print(f"  created {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
