"""The names of the secret files, one list for every place that writes or reads them:
scripts/generate_secrets.py and `manage.py generate_keys` make them, docker-compose.yml and
deploy/kubernetes/ mount them (NAME_FILE=/run/secrets/<name>), and the development keys under var/
are kept under the same names. Standard library only: generate_secrets.py runs before anything is
installed. tests/test_secret_files.py holds every place to this list."""

from __future__ import annotations

from pathlib import Path

# The setting each file holds (read as NAME, or from the file NAME_FILE names) -> the file's name.
SECRET_FILES = {
    "SECRET_KEY": "secret_key",
    # The keys and token each replaced while they retire (empty until a rotation): one a line.
    "SECRET_KEY_FALLBACKS": "secret_key_fallbacks",
    "CERTIFICATE_KEY_FALLBACKS": "certificate_key_fallbacks",
    "METRICS_TOKEN_FALLBACKS": "metrics_token_fallbacks",
    "GATEWAY_POLICY_KEY_FALLBACKS": "gateway_policy_key_fallbacks",
    "PORTAL_MASTER_KEY": "master_key",
    "LEDGER_SIGNING_KEY": "ledger_signing_key",
    "LEDGER_KEYRING": "ledger_keyring",
    "CERTIFICATE_KEY": "certificate_key",
    "GATEWAY_POLICY_KEY": "gateway_policy_key",
    "METRICS_TOKEN": "metrics_token",
    "DATABASE_URL": "database_url",
    "APP_DATABASE_URL": "app_database_url",
    "S3_SECRET_ACCESS_KEY": "s3_secret_access_key",
    "DEMO_PASSWORD": "demo_password",
    # Read by the services beside the portal: PostgreSQL, MinIO (and the URLs' runtime password).
    "POSTGRES_PASSWORD": "postgres_password",
    "APP_DB_PASSWORD": "app_db_password",
    "MINIO_ROOT_PASSWORD": "minio_root_password",
}

# The keys `manage.py generate_keys` makes (the ones no password or URL stands for).
KEYS = ("SECRET_KEY", "PORTAL_MASTER_KEY", "LEDGER_SIGNING_KEY", "CERTIFICATE_KEY", "GATEWAY_POLICY_KEY")

# The names generate_keys and the development keys had before: still read where only they exist,
# so that a key made then is found, never replaced by a new one (which would lose what it opens).
EARLIER_NAMES = {
    "SECRET_KEY": "secret.key",
    "PORTAL_MASTER_KEY": "master.key",
    "LEDGER_SIGNING_KEY": "ledger-signing.pem",
    "LEDGER_KEYRING": "ledger-keyring.json",
    "CERTIFICATE_KEY": "certificate.key",
    "GATEWAY_POLICY_KEY": "gateway-policy.key",
}


def secret_file(folder: Path | str, setting: str) -> Path:
    """The file of `setting` in `folder`: under its name, or its earlier name when only that exists."""
    path = Path(folder) / SECRET_FILES[setting]
    earlier = Path(folder) / EARLIER_NAMES[setting] if setting in EARLIER_NAMES else None
    if earlier is not None and not path.exists() and earlier.exists():
        return earlier
    return path
