#!/usr/bin/env python3
"""Verify a country's data export offline, with Python 3's standard library only.

    python3 verify_export.py EXPORT.zip [--key ledger-key.pem | --keyring ledger-keyring.json]

Checks that manifest.json is signed by the portal's key (ledger-key.pem in the export, or your own
copy of /.well-known/ledger-key.pem with --key), that every file it lists is present with the
SHA-256 and size it gives, that no file was added, that every table it names has its data file
with that many rows, that every stored file (files/) is the one its row recorded when it was stored,
and that the ledger inside verifies (ledger/verify_ledger.py, which this
script uses for the Ed25519 check). With a keyring (your copy of /.well-known/ledger-keyring.json),
the manifest is checked under the key it names, and each ledger checkpoint under its own key, so an
export made before a rotation of the portal's key still verifies; without one, the ledger's
checkpoints are checked under the keyring shipped inside it, if any.
Exit status 0: verified; 1: a problem; 2: cannot read."""

import base64
import hashlib
import importlib.util
import json
import sys
import tempfile
import zipfile
from pathlib import Path

UNLISTED = {"manifest.json", "manifest.sig", "ledger-key.pem", "README.txt"}


def load_ledger_verifier(archive):
    """ledger/verify_ledger.py: beside this script if the export was unpacked, else from the zip."""
    here = Path(__file__).resolve().parent / "ledger" / "verify_ledger.py"
    source = here.read_text() if here.is_file() else archive.read("ledger/verify_ledger.py").decode("utf-8")
    spec = importlib.util.spec_from_loader("verify_ledger", loader=None)
    module = importlib.util.module_from_spec(spec)
    exec(compile(source, "verify_ledger.py", "exec"), module.__dict__)
    return module


def stored_file_problems(archive, names, listed):
    """Each stored file (files/<table>/<row>/…) against the SHA-256 its row recorded when it was
    stored (the row's `sha256` column in data/<table>.jsonl), where the table records one: the
    file handed back is the one the portal took in."""
    problems, recorded = [], {}
    for name in sorted(listed):
        entry = listed[name]
        if not name.startswith("files/") or "table" not in entry or "row" not in entry:
            continue
        table = name.split("/")[1]
        if table not in recorded:
            recorded[table] = {}
            data = f"data/{table}.jsonl"
            if data in names:
                for line in archive.read(data).splitlines():
                    if line.strip():
                        row = json.loads(line)
                        if row.get("sha256"):
                            recorded[table][row.get("id")] = row["sha256"]
        expected = recorded[table].get(entry["row"])
        if entry.get("matches_record") is False or (expected and expected != entry.get("sha256")):
            problems.append(f"{name} is not the file its row recorded when it was stored")
    return problems


def verify(archive, pem, keyring_text=None):
    problems = []
    ledger = load_ledger_verifier(archive)
    names = {n for n in archive.namelist() if not n.endswith("/")}
    manifest_bytes = archive.read("manifest.json")
    signature = archive.read("manifest.sig").decode("ascii").strip()
    public_key = ledger.public_key_from_pem(pem)
    keyring = ledger.keyring_from_json(keyring_text) if keyring_text else None
    if keyring is not None:
        named = keyring.get(json.loads(manifest_bytes).get("key_id"))
        public_key = named[0] if named else b""
    try:
        raw_signature = base64.b64decode(signature, validate=True)
    except ValueError:
        raw_signature = b""
    if not ledger.ed25519_verify(public_key, manifest_bytes, raw_signature):
        problems.append("manifest.json is not signed by this key (forged or altered)")
    manifest = json.loads(manifest_bytes)
    listed = manifest.get("files", {})
    for name in sorted(listed):
        entry = listed[name]
        if name not in names:
            problems.append(f"{name} is listed in the manifest but missing")
            continue
        digest, size = hashlib.sha256(), 0
        with archive.open(name) as stream:
            for block in iter(lambda: stream.read(1 << 20), b""):
                digest.update(block)
                size += len(block)
        if digest.hexdigest() != entry.get("sha256") or size != entry.get("bytes"):
            problems.append(f"{name} does not match its SHA-256 or size in the manifest (altered)")
    for name in sorted(names - set(listed) - UNLISTED):
        problems.append(f"{name} is not in the manifest (added)")
    for table, rows in sorted(manifest.get("tables", {}).items()):
        name = f"data/{table}.jsonl"
        if name not in names:
            problems.append(f"the table {table} has no data file")
            continue
        count = sum(1 for line in archive.read(name).splitlines() if line.strip())
        if count != rows:
            problems.append(f"{name} holds {count} rows, the manifest says {rows}")
    problems.extend(stored_file_problems(archive, names, listed))
    ledger_summary = None
    if "ledger/ledger.zip" in names:
        with tempfile.TemporaryDirectory() as scratch:
            path = Path(scratch) / "ledger.zip"
            path.write_bytes(archive.read("ledger/ledger.zip"))
            export = ledger.Export(path)
            ring = keyring
            if ring is None and "ledger-keyring.json" in export.files:
                ring = ledger.keyring_from_json(export.text("ledger-keyring.json"))
            ledger_problems, ledger_summary = ledger.verify(export, public_key, ring)
        problems.extend(f"ledger: {problem}" for problem in ledger_problems)
    return problems, manifest, ledger_summary


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
            "usage: python3 verify_export.py EXPORT.zip [--key ledger-key.pem | --keyring ledger-keyring.json]",
            file=sys.stderr,
        )
        return 2
    try:
        with zipfile.ZipFile(args[0]) as archive:
            pem = Path(key_path).read_text() if key_path else archive.read("ledger-key.pem").decode("ascii")
            keyring_text = Path(keyring_path).read_text() if keyring_path else None
            problems, manifest, ledger_summary = verify(archive, pem, keyring_text)
    except (OSError, ValueError, KeyError, zipfile.BadZipFile) as error:
        print(f"Cannot read the export: {error}", file=sys.stderr)
        return 2
    files = manifest.get("files", {})
    der = base64.b64decode("".join(pem.strip().splitlines()[1:-1]))
    print(
        f"Public key fingerprint: {hashlib.sha256(der[-32:]).hexdigest()[:16]} (compare it with /.well-known/ledger-key.pem)"
    )
    print(f"Export of {manifest.get('name')} ({manifest.get('country')}), made {manifest.get('generated_at')}")
    print(
        f"{len(manifest.get('tables', {}))} tables, {sum(manifest.get('tables', {}).values())} rows, "
        f"{sum(1 for n in files if n.startswith('files/'))} stored files"
    )
    if manifest.get("missing_files"):
        print(f"Files the portal no longer had when the export was made: {len(manifest['missing_files'])}")
    if ledger_summary:
        print(f"Ledger {ledger_summary['chain']}: events {ledger_summary['first']} to {ledger_summary['last']}")
    if problems:
        print("NOT VERIFIED:")
        for problem in problems:
            print(f"  - {problem}")
        return 1
    print("VERIFIED: the manifest is signed, every file matches it, and the ledger is intact.")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
