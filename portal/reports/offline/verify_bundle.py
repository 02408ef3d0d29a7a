#!/usr/bin/env python3
"""Verify a compliance report bundle of the Sovereign AI Onboarding Portal, offline, with Python's
standard library only.

    python3 verify_bundle.py BUNDLE            (BUNDLE: the .zip, or the folder it was unpacked to)
    python3 verify_bundle.py BUNDLE --key ledger-key.pem   (a public key you obtained yourself)
    python3 verify_bundle.py BUNDLE --keyring ledger-keyring.json   (your copy of the published keyring)

Keep verify_ledger.py (shipped in the bundle) next to this script: it holds the Ed25519 verifier.
It checks the Ed25519 signature of manifest.json, that every file the manifest lists is present
with the SHA-256 it states, that no file was added, and that the ledger export inside verifies.
With a keyring (your own copy of /.well-known/ledger-keyring.json, or else the one the ledger export
ships when no --key is given), each checkpoint and the manifest are checked under the key they name,
and only if they are dated inside that key's validity window: a key retired by a rotation signs
nothing dated after its window closed.
Exit status 0: intact; 1: something was changed; 2: the bundle could not be read.
"""

import base64
import hashlib
import io
import sys
import types
import zipfile
from pathlib import Path


def _load_verify_ledger():
    """verify_ledger.py, shipped next to this script, run from its source. Not imported: an import
    would write __pycache__/ into the folder being verified (then reported as an added file), and
    could run bytecode planted there instead of the source."""
    source_path = Path(__file__).resolve().parent / "verify_ledger.py"
    module = types.ModuleType("verify_ledger")
    module.__file__ = str(source_path)
    exec(compile(source_path.read_bytes(), str(source_path), "exec"), module.__dict__)
    return module


verify_ledger = _load_verify_ledger()

MANIFEST, SIGNATURE = "manifest.json", "manifest.sig"
LEDGER_EXPORT = "ledger/ledger-export.zip"


class Bundle:
    def __init__(self, location):
        self.path = Path(location)
        self.zip = None
        if self.path.is_dir():
            self.names = sorted(
                str(p.relative_to(self.path)).replace("\\", "/") for p in self.path.rglob("*") if p.is_file()
            )
        else:
            self.zip = zipfile.ZipFile(self.path)
            self.names = sorted(n for n in self.zip.namelist() if not n.endswith("/"))

    def open(self, name):
        if name not in self.names:
            raise KeyError(name)
        return self.zip.open(name) if self.zip else open(self.path / name, "rb")

    def read(self, name):
        with self.open(name) as handle:
            return handle.read()

    def sha256(self, name):
        digest, size = hashlib.sha256(), 0
        with self.open(name) as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
                size += len(block)
        return digest.hexdigest(), size


def _ledger_export(bundle):
    with zipfile.ZipFile(io.BytesIO(bundle.read(LEDGER_EXPORT))) as inner:
        export = verify_ledger.Export.__new__(verify_ledger.Export)
        export.files = {Path(n).name: inner.read(n) for n in inner.namelist() if not n.endswith("/")}
    return export


def _ledger_time(text):
    """The manifest's generated_at (ISO 8601) written as the keyring writes its windows."""
    import datetime

    try:
        moment = datetime.datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        return str(text)
    utc = datetime.timezone(datetime.timedelta(0))  # not datetime.UTC: auditors may run Python < 3.11
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=utc)
    return moment.astimezone(utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def verify(bundle, public_key, keyring=None, keyring_trusted=True):
    """Return (problems, manifest). With a keyring ({key id: (key, valid from, valid until)}), the
    manifest and each checkpoint must be signed by the key they name, inside its window."""
    import json

    problems = []
    if MANIFEST not in bundle.names or SIGNATURE not in bundle.names:
        return ["the bundle has no signed manifest (manifest.json and manifest.sig)"], {}
    manifest_bytes = bundle.read(MANIFEST)
    try:
        signature = base64.b64decode(bundle.read(SIGNATURE).strip(), validate=True)
    except ValueError:
        signature = b""
    manifest = json.loads(manifest_bytes)
    manifest_key, reason = public_key, None
    if keyring is not None and not keyring_trusted:
        # The keyring came from inside the bundle: it vouches for nothing. The manifest must be
        # signed by the key whose fingerprint is printed (ledger-key.pem, or the one given).
        pass
    elif keyring is not None:
        manifest_key, reason = verify_ledger.key_in_window(
            keyring, str(manifest.get("key_id")), _ledger_time(manifest.get("generated_at")), "manifest.json"
        )
    if manifest_key is None:
        problems.append(reason)
    elif not verify_ledger.ed25519_verify(manifest_key, manifest_bytes, signature):
        problems.append("manifest.json: the signature is not the portal key's (the manifest was altered)")
    listed = manifest.get("files", {})
    for name, expected in sorted(listed.items()):
        if name not in bundle.names:
            problems.append(f"{name}: missing")
            continue
        digest, size = bundle.sha256(name)
        if digest != expected.get("sha256") or size != expected.get("size"):
            problems.append(f"{name}: its content differs from the manifest (changed)")
    for name in bundle.names:
        if name not in listed and name not in (MANIFEST, SIGNATURE):
            problems.append(f"{name}: not in the manifest (added)")
    if LEDGER_EXPORT in listed and LEDGER_EXPORT in bundle.names:
        ledger_problems, _ = verify_ledger.verify(_ledger_export(bundle), public_key, keyring, keyring_trusted)
        problems.extend(f"ledger export: {p}" for p in ledger_problems)
    return problems, manifest


def main(argv):
    args = list(argv[1:])
    key_path = keyring_path = None
    if "--keyring" in args:
        at = args.index("--keyring")
        if at + 1 >= len(args):
            print("--keyring needs the path of a keyring (/.well-known/ledger-keyring.json)", file=sys.stderr)
            return 2
        keyring_path = args[at + 1]
        del args[at : at + 2]
    if "--key" in args:
        at = args.index("--key")
        if at + 1 >= len(args):
            print("--key needs the path of a PEM public key", file=sys.stderr)
            return 2
        key_path = args[at + 1]
        del args[at : at + 2]
    if len(args) != 1:
        print(
            "usage: python3 verify_bundle.py BUNDLE [--key ledger-key.pem | --keyring ledger-keyring.json]",
            file=sys.stderr,
        )
        return 2
    try:
        bundle = Bundle(args[0])
        pem = Path(key_path).read_text() if key_path else bundle.read("ledger-key.pem").decode()
        public_key = verify_ledger.public_key_from_pem(pem)
        keyring = None
        if keyring_path:
            keyring = verify_ledger.keyring_from_json(Path(keyring_path).read_text())
        elif not key_path and LEDGER_EXPORT in bundle.names:
            shipped = _ledger_export(bundle).files.get("ledger-keyring.json")
            keyring = verify_ledger.keyring_from_json(shipped.decode("utf-8")) if shipped else None
        problems, manifest = verify(bundle, public_key, keyring, keyring_trusted=bool(keyring_path))
    except (OSError, ValueError, KeyError, zipfile.BadZipFile) as error:
        print(f"Cannot read the bundle: {error}", file=sys.stderr)
        return 2
    print(f"Public key fingerprint: {hashlib.sha256(public_key).hexdigest()[:16]}")
    for key_id, (_, valid_from, valid_until) in sorted((keyring or {}).items()):
        print(f"Keyring key {key_id}: valid from {valid_from or 'the start'} until {valid_until or 'now'}")
    if manifest:
        print(
            f"Report of {manifest.get('country')} ({manifest.get('kind')}), "
            f"{manifest.get('period_start')} to {manifest.get('period_end')}: {len(manifest.get('files', {}))} files"
        )
    if problems:
        print("NOT VERIFIED:")
        for problem in problems:
            print(f"  - {problem}")
        return 1
    print("VERIFIED: the manifest is signed by the portal's key and every file is intact.")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
