"""rotate_signing_key with the keys mounted read-only (a secret): it changes nothing and says what to
do (exit status 3); with --output-dir it writes the new key, the keyring and the retired key there
for the operator to put in the secret. No key material is printed."""

from __future__ import annotations

import io
import json
import shutil
import subprocess

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.management import CommandError, call_command

from tenants.record import signing
from tenants.record.models import PlatformEvent

pytestmark = pytest.mark.django_db


def _pem(key: Ed25519PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


@pytest.fixture
def mounted(tmp_path, monkeypatch):
    """A secret folder holding the signing key, read-only as a mounted secret is (for root too:
    the folder and the file are made immutable)."""
    folder = tmp_path / "secrets"
    folder.mkdir()
    key_file = folder / "ledger_signing_key"
    key_file.write_bytes(_pem(Ed25519PrivateKey.generate()))
    monkeypatch.delenv("LEDGER_SIGNING_KEY", raising=False)
    monkeypatch.delenv("LEDGER_KEYRING_FILE", raising=False)
    monkeypatch.setenv("LEDGER_SIGNING_KEY_FILE", str(key_file))
    signing.signing_key_reset()
    chattr = shutil.which("chattr")
    frozen = chattr and subprocess.run([chattr, "+i", str(key_file), str(folder)], capture_output=True).returncode == 0
    if not frozen:
        folder.chmod(0o500)
        key_file.chmod(0o400)
        try:
            (folder / "probe").write_text("")
        except OSError:
            pass
        else:
            pytest.skip("no way to make a read-only folder here (root without chattr)")
    yield folder
    if frozen:
        subprocess.run([chattr, "-i", str(key_file), str(folder)], check=True)
    folder.chmod(0o700)
    signing.signing_key_reset()


def test_read_only_keys_change_nothing_and_say_what_to_do(mounted):
    before = {p.name: p.read_bytes() for p in mounted.iterdir()}
    old_id = signing.public_key_id()
    out = io.StringIO()
    with pytest.raises(CommandError) as refused:
        call_command("rotate_signing_key", stdout=out)
    assert refused.value.returncode == 3
    message = str(refused.value)
    assert "read-only" in message and "--output-dir" in message and "Nothing was changed" in message
    assert {p.name: p.read_bytes() for p in mounted.iterdir()} == before
    signing.signing_key_reset()
    assert signing.public_key_id() == old_id
    assert "PRIVATE KEY" not in message + out.getvalue()
    assert not PlatformEvent.objects.filter(action="ledger.signing_key_rotated").exists()  # nothing happened


def test_output_dir_receives_the_new_files_for_the_secret(mounted, tmp_path, monkeypatch):
    before = {p.name: p.read_bytes() for p in mounted.iterdir()}
    old_id = signing.public_key_id()
    target = tmp_path / "rotated"
    out = io.StringIO()
    call_command("rotate_signing_key", output_dir=str(target), stdout=out)
    assert {p.name: p.read_bytes() for p in mounted.iterdir()} == before  # the mount is untouched
    names = sorted(p.name for p in target.iterdir())
    assert names == sorted(["ledger_signing_key", "ledger_keyring", f"ledger_signing_key.{old_id}.retired"])
    assert oct(target.stat().st_mode & 0o777) == "0o700"
    assert oct((target / "ledger_signing_key").stat().st_mode & 0o777) == "0o600"
    # Key ids and file names only: neither private key appears in what was printed.
    text = out.getvalue()
    assert "PRIVATE KEY" not in text and "ledger_signing_key" in text and "restart" in text
    for private in (target / "ledger_signing_key", target / f"ledger_signing_key.{old_id}.retired"):
        body = b"".join(private.read_bytes().splitlines()[1:-1]).decode()
        assert body and body not in text

    # The secret, once updated with the two files, signs with the new key and keeps the old one's window.
    monkeypatch.setenv("LEDGER_SIGNING_KEY_FILE", str(target / "ledger_signing_key"))
    signing.signing_key_reset()
    new_id = signing.public_key_id()
    assert new_id != old_id and f"New signing key {new_id}" in text
    ring = {entry["key_id"]: entry for entry in json.loads((target / "ledger_keyring").read_text())["keys"]}
    assert ring[old_id]["valid_until"] > ring[new_id]["valid_from"] is not None  # the grace
    retired = serialization.load_pem_private_key((target / f"ledger_signing_key.{old_id}.retired").read_bytes(), None)
    assert signing.key_id_of(retired.public_key()) == old_id
    # On the platform chain: written for the secret, not yet in service.
    rotated = PlatformEvent.objects.get(action="ledger.signing_key_rotated").payload
    assert (rotated["retired_key_id"], rotated["new_key_id"], rotated["in_place"]) == (old_id, new_id, False)

    # The same folder again: refused, nothing overwritten.
    kept = (target / "ledger_signing_key").read_bytes()
    with pytest.raises(CommandError, match="already holds"):
        call_command("rotate_signing_key", output_dir=str(target), stdout=io.StringIO())
    assert (target / "ledger_signing_key").read_bytes() == kept
