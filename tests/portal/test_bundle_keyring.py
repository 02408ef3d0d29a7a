"""The compliance bundle's offline verifier after a rotation of the ledger signing key: checkpoints
are checked under the key they name, from the keyring the bundle's ledger export ships (or the
auditor's own copy of the published one), and only inside that key's validity window. A checkpoint
signed by the retired key after its window closed is refused, with a message saying so."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import zipfile
from datetime import timedelta

import pytest
from cryptography.hazmat.primitives import serialization
from django.core.management import call_command
from django.utils import timezone

from portal.reports.bundle import bundle_write
from portal.reports.sections import Period
from tenants.record import signing
from tests.signing_keys import events_and_checkpoint, hours_later

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()
PERIOD = Period(TODAY - timedelta(days=30), TODAY)


def verify_bundle(country, folder, *args: str, period: Period = PERIOD) -> subprocess.CompletedProcess:
    out = io.BytesIO()
    bundle_write(country=country, period=period, out=out, kind="pack", file_name="bundle.zip")
    folder.mkdir()
    with zipfile.ZipFile(out) as archive:
        archive.extractall(folder)
    return subprocess.run(
        [sys.executable, "verify_bundle.py", ".", *args], cwd=folder, capture_output=True, text=True, timeout=120
    )


def test_a_bundle_after_a_rotation_verifies_each_checkpoint_under_its_key(cast, key_files, client):
    before = events_and_checkpoint(cast.fr, 3)
    call_command("rotate_signing_key", stdout=io.StringIO())
    after = events_and_checkpoint(cast.fr, 2)
    assert before.key_id != after.key_id
    result = verify_bundle(cast.fr, key_files / "bundle")
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"Keyring key {before.key_id}" in result.stdout and "NOT VERIFIED" not in result.stdout
    # The auditor's own copy of the published keyring gives the same answer.
    published = key_files / "published-keyring.json"
    published.write_text(client.get("/.well-known/ledger-keyring.json").content.decode())
    again = subprocess.run(
        [sys.executable, "verify_bundle.py", ".", "--keyring", str(published)],
        cwd=key_files / "bundle",
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert again.returncode == 0, again.stdout + again.stderr


def test_a_checkpoint_signed_by_a_retired_key_after_its_window_is_rejected(cast, key_files, client, monkeypatch):
    events_and_checkpoint(cast.fr, 2)
    old_id = signing.public_key_id()
    call_command("rotate_signing_key", stdout=io.StringIO())
    ring = json.loads(client.get("/.well-known/ledger-keyring.json").content)
    closed = next(entry["valid_until"] for entry in ring["keys"] if entry["key_id"] == old_id)
    # Someone holding the retired private key signs a checkpoint after the rotation.
    retired = serialization.load_pem_private_key(
        (key_files / f"ledger_signing_key.{old_id}.retired").read_bytes(), password=None
    )
    current = signing.signing_key()
    signing.signing_key_reset(retired)
    hours_later(monkeypatch, 25)  # the grace period (24 hours) has run out
    late = events_and_checkpoint(cast.fr, 1)
    signing.signing_key_reset(current)
    events_and_checkpoint(cast.fr, 1)  # the end of the chain is anchored by the current key
    assert late.key_id == old_id

    # The pack's period runs to the (later) day the late checkpoint is dated.
    result = verify_bundle(
        cast.fr, key_files / "bundle", period=Period(TODAY - timedelta(days=30), TODAY + timedelta(days=2))
    )
    assert result.returncode == 1, result.stdout + result.stderr
    problems = [line for line in result.stdout.splitlines() if line.startswith("  - ")]
    assert any(
        f"checkpoint {late.sequence} is dated" in line
        and f"outside the validity window of key {old_id}" in line
        and f"until {closed}" in line
        for line in problems
    ), result.stdout
    assert len(problems) == 1, result.stdout  # the honest checkpoints, old and new, still verify


def test_an_unreadable_keyring_is_a_clear_error(cast, key_files):
    events_and_checkpoint(cast.fr, 1)
    missing = key_files / "no-such-keyring.json"
    result = verify_bundle(cast.fr, key_files / "bundle", "--keyring", str(missing))
    assert result.returncode == 2 and "Cannot read the bundle" in result.stderr, result.stdout + result.stderr
