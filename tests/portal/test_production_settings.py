"""Configuration that fails safe: outside DEBUG the portal refuses to start without PostgreSQL,
its keys, a real mail backend and a host list, and `check --deploy` loads the keys and checks the
runtime role and row-level security of every country-owned table."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import psycopg2
import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable


@pytest.fixture(scope="module")
def secrets_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("secrets")
    subprocess.run(
        [PYTHON, "scripts/generate_secrets.py", "--dir", str(folder)], cwd=ROOT, check=True, capture_output=True
    )
    return folder


def production_env(secrets_dir: Path, **changes: str | None) -> dict[str, str]:
    """The environment of a production process: no suite switches, every setting given."""
    env = {k: v for k, v in os.environ.items() if k not in {"PORTAL_TESTING", "PORTAL_DB_ROLE", "DEBUG"}}
    env.update(
        DEBUG="false",
        SECRET_KEY_FILE=str(secrets_dir / "secret_key"),
        PORTAL_MASTER_KEY_FILE=str(secrets_dir / "master_key"),
        LEDGER_SIGNING_KEY_FILE=str(secrets_dir / "ledger_signing_key"),
        CERTIFICATE_KEY_FILE=str(secrets_dir / "certificate_key"),
        GATEWAY_POLICY_KEY_FILE=str(secrets_dir / "gateway_policy_key"),
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        ALLOWED_HOSTS="portal.example.org",
        SECURE_SSL_REDIRECT="true",
        SECURE_HSTS_INCLUDE_SUBDOMAINS="true",
        SECURE_HSTS_PRELOAD="true",
    )
    for name in ("PORTAL_MASTER_KEY", "LEDGER_SIGNING_KEY", "CERTIFICATE_KEY", "GATEWAY_POLICY_KEY", "SECRET_KEY"):
        env.pop(name, None)
    for name, value in changes.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def start(env: dict[str, str]) -> subprocess.CompletedProcess:
    """Load the settings as a process starting would."""
    return subprocess.run(
        [PYTHON, "-c", "import portal.settings"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )


def test_production_settings_start(secrets_dir):
    result = start(production_env(secrets_dir))
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    "changes, named",
    [
        ({"DATABASE_URL": None, "APP_DATABASE_URL": None}, "DATABASE_URL must name a PostgreSQL database"),
        ({"DATABASE_URL": "sqlite:////tmp/portal.sqlite3"}, "DATABASE_URL must name a PostgreSQL database"),
        ({"PORTAL_MASTER_KEY_FILE": None}, "PORTAL_MASTER_KEY or PORTAL_MASTER_KEY_FILE must be set"),
        ({"LEDGER_SIGNING_KEY_FILE": None}, "LEDGER_SIGNING_KEY or LEDGER_SIGNING_KEY_FILE must be set"),
        ({"CERTIFICATE_KEY_FILE": None}, "CERTIFICATE_KEY or CERTIFICATE_KEY_FILE must be set"),
        ({"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"}, "delivers no mail"),
        ({"EMAIL_BACKEND": None, "DATABASE_URL": None, "APP_DATABASE_URL": None}, "delivers no mail"),
        ({"ALLOWED_HOSTS": None}, "ALLOWED_HOSTS must list the host names"),
        ({"ALLOWED_HOSTS": "*"}, "ALLOWED_HOSTS must not contain '*'"),
        ({"SECRET_KEY_FILE": None}, "SECRET_KEY or SECRET_KEY_FILE must be set"),
        ({"COUNTRY_NETWORKS": "10.20.0.0/16,the-vpn"}, "COUNTRY_NETWORKS must be comma-separated networks"),
    ],
)
def test_production_refuses_to_start_without(secrets_dir, changes, named):
    result = start(production_env(secrets_dir, **changes))
    assert result.returncode != 0
    assert named in result.stderr and "Traceback" not in result.stderr, result.stderr


@pytest.mark.parametrize("entry", [["manage.py", "check"], ["-c", "import portal.wsgi"]])
def test_a_refusal_to_start_is_a_list_to_act_on_not_a_traceback(secrets_dir, entry):
    env = production_env(secrets_dir, SECRET_KEY_FILE=None, PORTAL_MASTER_KEY_FILE=None)
    result = subprocess.run([PYTHON, *entry], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr, result.stderr
    assert result.stderr.startswith("The portal's settings are not complete: The portal will not start"), result.stderr
    # Every missing piece at once, the secret key among them.
    assert "SECRET_KEY or SECRET_KEY_FILE must be set" in result.stderr
    assert "PORTAL_MASTER_KEY or PORTAL_MASTER_KEY_FILE must be set" in result.stderr


def test_debug_still_runs_the_embedded_demo(secrets_dir):
    env = production_env(secrets_dir, DEBUG="true", DATABASE_URL=None, APP_DATABASE_URL=None, ALLOWED_HOSTS=None)
    env.pop("EMAIL_BACKEND")
    assert start(env).returncode == 0


def test_a_process_given_only_the_runtime_url_uses_it_and_cannot_migrate(secrets_dir):
    env = production_env(secrets_dir, DATABASE_URL=None, APP_DATABASE_URL="postgres://portal_app:pw@db:5432/portal")
    code = "from django.conf import settings as s; import django; django.setup(); print(s.DATABASES['default']['USER'])"
    shown = subprocess.run(
        [PYTHON, "-c", code],
        cwd=ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": "portal.settings"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert shown.stdout.strip() == "portal_app", shown.stderr
    refused = start({**env, "PORTAL_DB_ROLE": "owner"})
    assert refused.returncode != 0 and "set DATABASE_URL" in refused.stderr


# --- check --deploy ----------------------------------------------------------------------------------


def database_urls() -> tuple[str, str]:
    """The test database under the owning role and under the runtime role."""
    db = settings.DATABASES["default"]
    base = os.environ["DATABASE_URL"].rsplit("/", 1)[0]
    runtime = f"postgres://portal_app@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    return f"{base}/{db['NAME']}", runtime


def check_deploy(env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [PYTHON, "manage.py", "check", "--deploy"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


@pytest.fixture
def migrated_database(db) -> tuple[str, str]:
    return database_urls()


def test_check_deploy_is_clean_in_production_settings(secrets_dir, migrated_database):
    from tenants.keys import windows

    owner, runtime = migrated_database
    result = check_deploy(production_env(secrets_dir, DATABASE_URL=owner, APP_DATABASE_URL=runtime))
    assert result.returncode == 0, result.stdout + result.stderr
    # A database migrated from nothing had no release before it: no sealing window to warn of.
    assert windows.windows_open() == []
    assert "System check identified no issues (0 silenced)." in result.stdout, result.stderr


def test_check_deploy_refuses_a_runtime_role_that_owns_or_bypasses(secrets_dir, migrated_database):
    owner, _ = migrated_database
    result = check_deploy(production_env(secrets_dir, DATABASE_URL=owner, APP_DATABASE_URL=owner))
    assert result.returncode != 0
    assert "portal.E111" in result.stderr and "portal.E112" in result.stderr


def test_check_deploy_loads_the_keys(secrets_dir, migrated_database, tmp_path):
    owner, runtime = migrated_database
    broken = tmp_path / "broken.pem"
    broken.write_text("-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n")
    short = tmp_path / "short.key"
    short.write_text("too-short")
    env = production_env(
        secrets_dir,
        DATABASE_URL=owner,
        APP_DATABASE_URL=runtime,
        LEDGER_SIGNING_KEY_FILE=str(broken),
        CERTIFICATE_KEY_FILE=str(short),
    )
    result = check_deploy(env)
    assert result.returncode != 0
    assert "portal.E102" in result.stderr and "portal.E103" in result.stderr
    assert "portal.E101" not in result.stderr


def test_check_deploy_names_a_tenant_table_without_forced_row_level_security(secrets_dir, migrated_database):
    owner, runtime = migrated_database
    table = "tenants_organisation"
    with psycopg2.connect(owner) as connection, connection.cursor() as cursor:
        cursor.execute(f'ALTER TABLE "{table}" NO FORCE ROW LEVEL SECURITY')
    try:
        result = check_deploy(production_env(secrets_dir, DATABASE_URL=owner, APP_DATABASE_URL=runtime))
    finally:
        with psycopg2.connect(owner) as connection, connection.cursor() as cursor:
            cursor.execute(f'ALTER TABLE "{table}" FORCE ROW LEVEL SECURITY')
    assert result.returncode != 0
    assert "portal.E114" in result.stderr and table in result.stderr and "not forced" in result.stderr


def test_every_tenant_table_is_checked():
    from portal.checks import tenant_tables

    tables = tenant_tables()
    assert {"tenants_organisation", "tenants_membership", "tenants_outboxmessage"} <= set(tables)
    assert "tenants_country" not in tables


def test_a_worker_does_not_start_without_the_gateway_key(settings, monkeypatch):
    """The web does not need the gateway's key; a worker seals policies under it, so with DEBUG off it
    refuses to start without it, naming it."""
    from celery import signals

    from portal import celery

    assert celery._worker_refuses_without_its_gateway_key in [receiver for _, receiver in signals.worker_init.receivers]
    settings.DEBUG = settings.TESTING = settings.EMBEDDED = False
    monkeypatch.delenv("GATEWAY_POLICY_KEY", raising=False)
    monkeypatch.delenv("GATEWAY_POLICY_KEY_FILE", raising=False)
    with pytest.raises(SystemExit, match="The worker will not start: GATEWAY_POLICY_KEY or GATEWAY_POLICY_KEY_FILE"):
        celery._worker_refuses_without_its_gateway_key()
    import base64
    import os

    monkeypatch.setenv("GATEWAY_POLICY_KEY", base64.b64encode(os.urandom(32)).decode())
    assert celery._worker_refuses_without_its_gateway_key() is None
