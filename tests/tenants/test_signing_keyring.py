"""The signing keyring: a rotation of the ledger signing key in the middle of a chain. Checkpoints
signed before it still verify under the key they name (in the portal and offline), those after it
under the new key; /.well-known/ publishes every key with its validity window."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import zipfile
from datetime import datetime, timedelta

import pytest
from cryptography.hazmat.primitives import serialization
from django.core.management import CommandError, call_command

from tenants.isolation import country_context
from tenants.record import signing
from tenants.record.exports import ledger_export_write
from tenants.record.ledger import chain_verify
from tenants.record.models import CountryCheckpoint
from tests.signing_keys import events_and_checkpoint, hours_later

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

    # Published with their windows: the new one opened at the rotation; the old one closes a grace
    # period later (24 hours), for the processes that sign with it until they are restarted.
    ring = json.loads(client.get("/.well-known/ledger-keyring.json").content)
    assert ring["current_key_id"] == new_id
    windows = {entry["key_id"]: (entry["valid_from"], entry["valid_until"]) for entry in ring["keys"]}
    assert windows[old_id][0] is None and windows[new_id][1] is None
    opened, closes = (datetime.strptime(w, signing.TIME_FORMAT) for w in (windows[new_id][0], windows[old_id][1]))
    assert closes - opened == timedelta(hours=24)

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


def test_a_rotation_goes_on_the_platform_chain_with_both_fingerprints(key_files):
    from tenants.record.ledger import chain_verify as verify
    from tenants.record.models import PlatformEvent

    old_id = signing.public_key_id()
    call_command("rotate_signing_key", "--grace-hours", "2", stdout=io.StringIO())
    new_id = signing.public_key_id()
    event = PlatformEvent.objects.filter(action="ledger.signing_key_rotated").get()
    ring = {entry["key_id"]: entry for entry in signing.keyring()}
    assert event.actor_id is None and event.actor_role == "platform"
    assert event.payload == {
        "retired_key_id": old_id,
        "retired_valid_until": ring[old_id]["valid_until"],
        "new_key_id": new_id,
        "new_valid_from": ring[new_id]["valid_from"],
        "in_place": True,
    }
    assert "PRIVATE KEY" not in json.dumps(event.payload)
    assert verify().ok


def test_a_process_not_yet_restarted_signs_within_the_grace_and_not_after(cast, key_files, monkeypatch):
    """Every web, worker and beat process keeps the key it loaded until it is restarted: what it
    signs during the grace period verifies; a checkpoint that names the retired key but is dated
    after the grace is refused, even though the retired key made the signature."""
    events_and_checkpoint(cast.fr, 2)
    old_id = signing.public_key_id()
    call_command("rotate_signing_key", "--grace-hours", "2", stdout=io.StringIO())
    retired = serialization.load_pem_private_key(
        (key_files / f"ledger_signing_key.{old_id}.retired").read_bytes(), password=None
    )
    new_key = signing.signing_key()
    signing.signing_key_reset(retired)  # a worker that has not been restarted yet
    soon = events_and_checkpoint(cast.fr, 1)
    assert soon.key_id == old_id
    with country_context(cast.fr):
        assert chain_verify(country=cast.fr).ok
    hours_later(monkeypatch, 3)
    late = events_and_checkpoint(cast.fr, 1)
    signing.signing_key_reset(new_key)
    assert late.key_id == old_id
    with country_context(cast.fr):
        report = chain_verify(country=cast.fr)
    assert not report.ok


@pytest.mark.parametrize("hours", ["721", "-1"])
def test_the_grace_is_bounded(key_files, hours):
    before = signing.public_key_id()
    with pytest.raises(CommandError, match="--grace-hours is from 0 to 720"):
        call_command("rotate_signing_key", "--grace-hours", hours, stdout=io.StringIO())
    signing.signing_key_reset()
    assert signing.public_key_id() == before


def test_a_leaked_key_is_retired_at_once(cast, key_files):
    """--grace-hours 0: the window closes at the rotation; a checkpoint the leaked key signs after it
    does not verify."""
    events_and_checkpoint(cast.fr, 2)
    old_id = signing.public_key_id()
    call_command("rotate_signing_key", "--grace-hours", "0", stdout=io.StringIO())
    leaked = serialization.load_pem_private_key(
        (key_files / f"ledger_signing_key.{old_id}.retired").read_bytes(), password=None
    )
    new_key = signing.signing_key()
    signing.signing_key_reset(leaked)
    forged = events_and_checkpoint(cast.fr, 1)
    signing.signing_key_reset(new_key)
    assert forged.key_id == old_id
    with country_context(cast.fr):
        assert not chain_verify(country=cast.fr).ok


def test_the_keyring_without_rotation_is_the_current_key(client):
    ring = json.loads(client.get("/.well-known/ledger-keyring.json").content)
    assert [entry["key_id"] for entry in ring["keys"]] == [signing.public_key_id()]
    assert ring["keys"][0]["public_key"] == signing.public_key_pem()


# --- Documents the portal signed before a rotation: checked under the key they name -----------


def test_a_country_export_built_before_a_rotation_still_checks(cast, key_files, settings, tmp_path):
    from tenants.keys.export import country_data_export_write, country_export_verify

    settings.MEDIA_ROOT = str(tmp_path / "media")
    built = io.BytesIO()
    country_data_export_write(country=cast.fr, out=built)
    assert country_export_verify(io.BytesIO(built.getvalue())) == []
    call_command("rotate_signing_key", stdout=io.StringIO())
    assert country_export_verify(io.BytesIO(built.getvalue())) == []
