"""A portal running an earlier release upgrades in place: the code of that release (taken from
this repository's history) builds its schema and demo data in a database of its own, the current
code migrates it, and every row is still there, the ledger still verifies, sealed values still
open and the moved models' content types followed them."""

from __future__ import annotations

import base64
import json
import os
import secrets
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import psycopg2
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

ROOT = Path(__file__).resolve().parent.parent
# The last release before engagements left the tenants app and the outbox moved to the foundation.
BEFORE_THE_MOVE = "7533c52"
# Tables replaced by the upgrade (their pending rows are carried over).
DROPPED = {"deployments_outboxmessage"}

COUNT_EVERY_TABLE = """
SELECT set_config('portal.country_ids', COALESCE((SELECT string_agg(id::text, ',') FROM tenants_country), ''), true);
SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'
ORDER BY table_name;
"""


def _earlier_release(target: Path) -> None:
    try:
        archive = subprocess.run(
            ["git", "archive", "--format=tar", BEFORE_THE_MOVE], cwd=ROOT, capture_output=True, check=True, timeout=60
        ).stdout
    except (FileNotFoundError, subprocess.CalledProcessError) as error:
        pytest.fail(
            f"the earlier release {BEFORE_THE_MOVE} is not in this checkout's history ({error}); "
            "the upgrade test needs a full clone"
        )
    tar_path = target.parent / "release.tar"
    tar_path.write_bytes(archive)
    with tarfile.open(tar_path) as tar:
        tar.extractall(target, filter="data")


def _windows_open(url: str) -> int:
    connection = psycopg2.connect(url)
    try:
        with connection, connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM tenants_sealingwindow WHERE closed_at IS NULL")
            return cursor.fetchone()[0]
    finally:
        connection.close()


def _counts(url: str) -> dict[str, int]:
    connection = psycopg2.connect(url)
    try:
        with connection, connection.cursor() as cursor:
            cursor.execute(COUNT_EVERY_TABLE)
            cursor.execute(COUNT_EVERY_TABLE.split(";", 1)[1])
            tables = [row[0] for row in cursor.fetchall()]
            counts = {}
            for table in tables:
                cursor.execute(f'SELECT count(*) FROM "{table}"')
                counts[table] = cursor.fetchone()[0]
            return counts
    finally:
        connection.close()


STATUSES = """
SELECT s.country_id, f.slug, r.code, s.status, s.owner_id, s.note,
       (SELECT count(*) FROM governance_evidencefile e WHERE e.requirement_status_id = s.id)
FROM governance_requirementstatus s
JOIN governance_requirement r ON r.id = s.requirement_id
JOIN governance_framework f ON f.id = r.framework_id
ORDER BY 1, 2, 3
"""


def _statuses(url: str) -> list[tuple]:
    """Every country's status, owner, note and evidence count per framework requirement."""
    connection = psycopg2.connect(url)
    try:
        with connection, connection.cursor() as cursor:
            cursor.execute(COUNT_EVERY_TABLE.split(";", 1)[0])
            cursor.execute(STATUSES)
            return cursor.fetchall()
    finally:
        connection.close()


def _manage(code: Path, env: dict, *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=code, env=env, capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, f"manage.py {' '.join(args)} in {code}:\n{result.stdout}\n{result.stderr}"
    return result.stdout


@pytest.fixture
def upgrade_database():
    base = os.environ["DATABASE_URL"].rsplit("/", 1)[0]
    name = f"test_upgrade_{os.getpid()}"
    admin = psycopg2.connect(f"{base}/postgres")
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
        cursor.execute(f'CREATE DATABASE "{name}"')
    yield f"{base}/{name}"
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.close()


def test_an_earlier_release_upgrades_in_place(tmp_path, upgrade_database):
    earlier = tmp_path / "earlier"
    _earlier_release(earlier)
    signing_key = tmp_path / "ledger-signing.pem"
    signing_key.write_bytes(
        Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PORTAL_", "DJANGO_", "CELERY_", "TEST_", "CACHE_", "APP_DATABASE"))
    }
    env.update(
        DATABASE_URL=upgrade_database,
        DEBUG="1",
        SECRET_KEY=secrets.token_hex(32),
        PORTAL_MASTER_KEY=base64.b64encode(secrets.token_bytes(32)).decode(),
        LEDGER_SIGNING_KEY_FILE=str(signing_key),
        CELERY_QUEUE=f"upgrade-{os.getpid()}",
        CACHE_KEY_PREFIX=f"upgrade-{os.getpid()}",
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        MEDIA_ROOT=str(tmp_path / "media"),
        STATIC_ROOT=str(tmp_path / "static"),
    )

    # The earlier release: its schema and its demo, as a portal running it would hold them.
    _manage(earlier, env, "migrate", "--no-input")
    _manage(earlier, env, "seed_demo")
    _manage(earlier, env, "checkpoint_ledger")
    before = _counts(upgrade_database)
    assert before["tenants_engagement"] > 0 and before["tenants_countryevent"] > 100
    statuses_before = _statuses(upgrade_database)
    assert len(statuses_before) >= 10

    # This release migrates the same database.
    _manage(ROOT, env, "migrate", "--no-input")
    after = _counts(upgrade_database)
    # The columns this release seals have their windows open, for what the earlier release still
    # writes while the new one rolls out (a database migrated from nothing has none: test_production_settings).
    assert _windows_open(upgrade_database) >= 4

    lost = {}
    for table, rows in before.items():
        if table in DROPPED or table.startswith("django_celery_beat"):
            continue
        now = after.get(table)
        if now is None or now < rows:
            lost[table] = (rows, now)
    assert lost == {}
    assert not DROPPED & set(after)
    # The frameworks moved from Python to YAML files: every country's statuses, owners, notes and
    # evidence are still on the same requirements, now version 1 of frameworks loaded as data (the
    # notes are sealed since: compared opened, below).
    statuses_after = _statuses(upgrade_database)
    assert [row[:5] + row[6:] for row in statuses_after] == [row[:5] + row[6:] for row in statuses_before]
    stored_notes = [row[5] for row in statuses_after]
    assert not any(row[5] and row[5] in stored_notes for row in statuses_before)

    # The ledger of every chain still verifies, checkpoints included, with this release's verifier.
    verified = _manage(ROOT, env, "verify_ledger")  # exits 1 on any break
    assert "chains verify" in verified, verified

    # Sealed values written by the earlier release open, and the moved models are where they should be.
    probe = r"""
import json, django
django.setup()
from django.contrib.contenttypes.models import ContentType
from engagements.models import EngagementTerms
from tenants.isolation import country_context
from tenants.models import Country
from tenants.keys.fields import Unreadable
from governance.models import RequirementStatus
with country_context(list(Country.objects.values_list("pk", flat=True))):
    conditions = [t.conditions for t in EngagementTerms.objects.all()]
    notes = sorted(
        [s.country_id, s.requirement.framework.slug, s.requirement.code, s.note]
        for s in RequirementStatus.objects.select_related("requirement__framework")
    )
print(json.dumps({
    "notes": notes,
    "terms": len(conditions),
    "readable": sum(1 for c in conditions if c and not isinstance(c, Unreadable)),
    "content_types": sorted(ContentType.objects.filter(model__startswith="engagement").values_list("app_label", "model")),
}))
"""
    result = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": "portal.settings"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen["terms"] == before["tenants_engagementterms"]
    assert seen["readable"] >= 1
    # What people wrote in columns sealed since opens as they wrote it.
    assert seen["notes"] == sorted([row[0], row[1], row[2], row[5]] for row in statuses_before)
    assert seen["content_types"] == [
        ["engagements", "engagement"],
        ["engagements", "engagementterms"],
        ["engagements", "engagementtransition"],
    ]
    shutil.rmtree(earlier, ignore_errors=True)
