"""The signing keyring: a rotation of the ledger signing key in the middle of a chain. Checkpoints
signed before it still verify under the key they name (in the portal and offline), those after it
under the new key; /.well-known/ publishes every key with its validity window."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import zipfile

import pytest
from cryptography.hazmat.primitives import serialization
from django.core.management import call_command

from tenants.isolation import country_context
from tenants.record import signing
from tenants.record.exports import ledger_export_write
from tenants.record.ledger import chain_verify
from tenants.record.models import CountryCheckpoint
from tests.signing_keys import events_and_checkpoint

pytestmark = pytest.mark.django_db


def export_of(country) -> bytes:
    out = io.BytesIO()
    ledger_export_write(country=country, out=out)
    return out.getvalue()


def run_verifier(tmp_path, data: bytes, *args: str) -> subprocess.CompletedProcess:
    folder = tmp_path / f"export-{len(list(tmp_path.iterdir()))}"
    folder.mkdir()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        archive.extractall(folder)
    return subprocess.run(
        [sys.executable, "verify_ledger.py", ".", *args], cwd=folder, capture_output=True, text=True, timeout=60
    )


def test_a_rotation_in_the_middle_of_a_chain(cast, key_files, client):
    before = events_and_checkpoint(cast.fr, 3)
    old_id = signing.public_key_id()
    assert before.key_id == old_id

    call_command("rotate_signing_key", stdout=io.StringIO())
    new_id = signing.public_key_id()
    assert new_id != old_id
    assert (key_files / f"ledger_signing_key.{old_id}.retired").exists()

    after = events_and_checkpoint(cast.fr, 2)
    assert after.key_id == new_id
    with country_context(cast.fr):
        assert list(CountryCheckpoint.objects.order_by("sequence").values_list("key_id", flat=True)) == [old_id, new_id]
        report = chain_verify(country=cast.fr)
    assert report.ok, report.problem  # the old checkpoint under the old key, the new under the new one

    # Published with their windows: the old one closed when the new one opened.
    ring = json.loads(client.get("/.well-known/ledger-keyring.json").content)
    assert ring["current_key_id"] == new_id
    windows = {entry["key_id"]: (entry["valid_from"], entry["valid_until"]) for entry in ring["keys"]}
    assert windows[old_id][0] is None and windows[new_id][1] is None
    assert windows[old_id][1] == windows[new_id][0]

    # Offline: the export ships the keyring; both checkpoints verify, each under its key.
    data = export_of(cast.fr)
    result = run_verifier(key_files, data)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"Keyring key {old_id}" in result.stdout and f"Keyring key {new_id}" in result.stdout
    # With the current key alone, the checkpoint of before the rotation cannot be checked.
    only_new = key_files / "new.pem"
    only_new.write_text(signing.public_key_pem())
    alone = run_verifier(key_files, data, "--key", str(only_new))
    assert alone.returncode == 1 and "the signature is not the portal key's" in alone.stdout
    # With the keyring as published (the auditor's own copy), it verifies again.
    published = key_files / "published-keyring.json"
    published.write_text(json.dumps(ring))
    assert run_verifier(key_files, data, "--keyring", str(published)).returncode == 0


def test_a_checkpoint_outside_its_key_window_does_not_verify(cast, key_files):
    events_and_checkpoint(cast.fr, 2)
    old_id = signing.public_key_id()
    call_command("rotate_signing_key", stdout=io.StringIO())
    # A checkpoint that names the retired key but is dated after its window closed: refused, even
    # though the retired private key (kept aside) made the signature.
    retired = serialization.load_pem_private_key(
        (key_files / f"ledger_signing_key.{old_id}.retired").read_bytes(), password=None
    )
    new_key = signing.signing_key()
    signing.signing_key_reset(retired)
    late = events_and_checkpoint(cast.fr, 1)
    signing.signing_key_reset(new_key)
    assert late.key_id == old_id
    with country_context(cast.fr):
        report = chain_verify(country=cast.fr)
    assert not report.ok


def test_the_keyring_without_rotation_is_the_current_key(client):
    ring = json.loads(client.get("/.well-known/ledger-keyring.json").content)
    assert [entry["key_id"] for entry in ring["keys"]] == [signing.public_key_id()]
    assert ring["keys"][0]["public_key"] == signing.public_key_pem()
