#!/usr/bin/env python3
"""Verify a country's data export offline, with Python 3's standard library only.

    python3 verify_export.py EXPORT.zip [--key ledger-key.pem | --keyring ledger-keyring.json]

Checks that manifest.json is signed by the portal's key (ledger-key.pem in the export, or your own
copy of /.well-known/ledger-key.pem with --key), that every file it lists is present with the
SHA-256 and size it gives, that no file was added, that every table it names has its data file
with that many rows, that every stored file (files/) is the one its row recorded when it was stored,
that the ledger inside verifies (ledger/verify_ledger.py, which this script uses for the Ed25519
check), and that every text and file whose digest the ledger holds is the one recorded: each
reason given (under the country's reason digest key), each message and each file attached to one
(under its conversation's digest key; the plain SHA-256 for messages recorded before those were
keyed). Events recorded before a kind of text carried a digest still verify, with nothing to check
their text against; a text emptied by the erasure of its author is counted, not checked. With a keyring (your copy of /.well-known/ledger-keyring.json),
the manifest is checked under the key it names, and each ledger checkpoint under its own key, so an
export made before a rotation of the portal's key still verifies; without one, the ledger's
checkpoints are checked under the keyring shipped inside it, if any.
Exit status 0: verified; 1: a problem; 2: cannot read."""

import base64
import hashlib
import hmac
import importlib.util
import io
import json
import sys
import tempfile
import zipfile
from pathlib import Path

UNLISTED = {"manifest.json", "manifest.sig", "ledger-key.pem", "README.txt"}
# The tables and files whose texts the chain holds digests of.
REASONS = "data/tenants.actionreason.jsonl"
REASON_KEY = "data/tenants.reasondigestkey.jsonl"
CONVERSATIONS = "data/tenants.conversation.jsonl"
MESSAGES = "data/tenants.message.jsonl"
ATTACHMENTS = "data/tenants.messageattachment.jsonl"
ATTACHMENT_FILES = "files/tenants.messageattachment/"


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


def table_rows(archive, names, name):
    """The rows of one data file, one at a time (a table may be large)."""
    if name not in names:
        return
    with archive.open(name) as raw:
        for line in io.TextIOWrapper(raw, encoding="utf-8"):
            if line.strip():
                yield json.loads(line)


def _keyed(key_hex, chunks):
    """HMAC-SHA256 (hex) of the chunks under a hex key, or None for a key that is not hex."""
    try:
        key = bytes.fromhex(key_hex or "")
    except ValueError:
        return None
    if not key:
        return None
    mac = hmac.new(key, digestmod=hashlib.sha256)
    for chunk in chunks:
        mac.update(chunk)
    return mac.hexdigest()


def _plain(chunks):
    digest = hashlib.sha256()
    for chunk in chunks:
        digest.update(chunk)
    return digest.hexdigest()


def _file_chunks(archive, name):
    with archive.open(name) as stream:
        yield from iter(lambda: stream.read(1 << 20), b"")


def _named(events):
    """From the chain: the reasons its events name with a digest ({id: [(event, digest)]}), the
    messages they record ({id: [(event, payload)]}), and how many reasons were named without one."""
    reasons, messages, unkeyed = {}, {}, 0
    for event in events:
        payload = event.get("payload")
        if not isinstance(payload, dict):
            continue
        sequence, reason = event.get("sequence"), payload.get("reason")
        if isinstance(reason, int) and not isinstance(reason, bool):
            if isinstance(payload.get("reason_hmac"), str):
                reasons.setdefault(reason, []).append((sequence, payload["reason_hmac"]))
            else:
                unkeyed += 1  # recorded before reasons carried a digest: nothing to check it against
        message = payload.get("message")
        if event.get("action") == "conversation.message_posted" and isinstance(message, int):
            messages.setdefault(message, []).append((sequence, payload))
    return reasons, messages, unkeyed


def record_problems(archive, names, events):
    """Every text and file whose digest the chain holds, against that digest: each reason given
    (data/tenants.actionreason.jsonl, HMAC-SHA256 under the country's reason digest key), each
    message (data/tenants.message.jsonl, HMAC-SHA256 under its conversation's digest key, or the
    plain SHA-256 an older event holds) and each file attached to one (files/, the same way). The
    keys are the country's own data, so its export carries them. A text emptied by the erasure of
    the person who wrote it cannot be checked and is counted apart; so is an event recorded before
    its kind carried a digest, and a file the portal no longer had. Returns (problems, counts)."""
    problems = []
    counts = {"reasons": 0, "messages": 0, "attachments": 0, "erased": 0, "before_digests": 0, "files_missing": 0}
    reasons, messages, counts["before_digests"] = _named(events)
    keys = [row.get("digest_key") or "" for row in table_rows(archive, names, REASON_KEY)]
    if reasons and not any(keys):
        problems.append("the chain holds digests of reasons, but the export has no key to check them with")
    found = set()
    for row in table_rows(archive, names, REASONS) if reasons else ():
        if row.get("id") not in reasons:
            continue
        found.add(row["id"])
        text = row.get("reason") or ""
        for sequence, digest in reasons[row["id"]]:
            if not text:
                counts["erased"] += 1
            elif any(keys) and _keyed(keys[0], [text.encode("utf-8")]) != digest:
                problems.append(f"reason {row['id']} (event {sequence}) is not the text recorded (altered)")
            elif any(keys):
                counts["reasons"] += 1
    for missing in sorted(set(reasons) - found):
        problems.append(f"reason {missing} (event {reasons[missing][0][0]}) is not in the export (deleted)")
    problems += _message_problems(archive, names, messages, counts)
    return problems, counts


def _message_problems(archive, names, messages, counts):
    problems = []
    if not messages:
        return problems
    conversation_keys = {
        row.get("id"): row.get("digest_key") or "" for row in table_rows(archive, names, CONVERSATIONS)
    }
    conversation_of = {}
    for row in table_rows(archive, names, MESSAGES):
        if row.get("id") not in messages:
            continue
        conversation_of[row["id"]] = row.get("conversation_id")
        text = (row.get("body") or "").encode("utf-8")
        for sequence, payload in messages[row["id"]]:
            if not text:
                counts["erased"] += 1
                continue
            if "hmac" in payload:
                computed, recorded = _keyed(conversation_keys.get(row.get("conversation_id")), [text]), payload["hmac"]
            else:  # recorded before messages' digests were keyed: the plain SHA-256
                computed, recorded = _plain([text]), payload.get("sha256")
            if computed != recorded:
                problems.append(f"message {row['id']} (event {sequence}) is not the text recorded (altered)")
            else:
                counts["messages"] += 1
    for missing in sorted(set(messages) - set(conversation_of)):
        problems.append(f"message {missing} (event {messages[missing][0][0]}) is not in the export (deleted)")
    attached = {}
    for row in table_rows(archive, names, ATTACHMENTS):
        if row.get("message_id") in conversation_of:
            attached.setdefault(row["message_id"], []).append(row.get("id"))
    stored = {}
    for name in names:
        if name.startswith(ATTACHMENT_FILES) and not name.endswith("/"):
            row_id = name[len(ATTACHMENT_FILES) :].split("/", 1)[0]
            if row_id.isascii() and row_id.isdigit():  # not "²": isdigit() alone lets it by, int() refuses it
                stored[int(row_id)] = name
    for message, conversation in sorted(conversation_of.items()):
        for sequence, payload in messages[message]:
            problem = _attachments_problem(
                archive, payload, attached.get(message, []), stored, counts, conversation_keys.get(conversation)
            )
            if problem:
                problems.append(
                    f"the files attached to message {message} (event {sequence}) are not the ones recorded ({problem})"
                )
    return problems


def _attachments_problem(archive, payload, rows, stored, counts, key):
    """The files of one message's attachment rows against the digests its event holds: keyed
    (attachments_hmac) or, for an older event, plain (attachments). A file the portal no longer
    had is counted, not checked. Returns what is wrong, or "" when nothing is."""
    keyed = "attachments_hmac" in payload
    recorded = payload.get("attachments_hmac" if keyed else "attachments") or []
    if not isinstance(recorded, list):
        recorded = []
    computed, gone = [], 0
    for row_id in rows:
        if row_id not in stored:
            gone += 1
            continue
        chunks = _file_chunks(archive, stored[row_id])
        computed.append(_keyed(key, chunks) if keyed else _plain(chunks))
    counts["files_missing"] += gone
    unrecorded = [digest for digest in computed if digest not in recorded]
    if unrecorded:
        return "altered or added"
    if not gone and len(computed) != len(recorded):
        return "removed"
    counts["attachments"] += len(computed)
    return ""


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
            texts_problems, ledger_summary["texts"] = record_problems(archive, names, export.lines("events.jsonl"))
        problems.extend(f"ledger: {problem}" for problem in ledger_problems)
        problems.extend(f"record: {problem}" for problem in texts_problems)
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
    if Path(args[0]).is_dir():
        print(
            f"{args[0]} is a folder: pass the .zip file you downloaded, not the folder it was unpacked to "
            "(python3 verify_export.py fr-export-1.zip).",
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
        texts = ledger_summary.get("texts") or {}
        print(
            f"Checked against their digests on the chain: {texts.get('reasons', 0)} reasons, "
            f"{texts.get('messages', 0)} messages, {texts.get('attachments', 0)} attached files"
        )
        if texts.get("erased"):
            print(f"Texts emptied by the erasure of the person who wrote them (not checkable): {texts['erased']}")
        if texts.get("before_digests"):
            print(f"Reasons named by events recorded before reasons carried a digest: {texts['before_digests']}")
        if texts.get("files_missing"):
            print(f"Attached files the portal no longer had (not checkable): {texts['files_missing']}")
    if problems:
        print("NOT VERIFIED:")
        for problem in problems:
            print(f"  - {problem}")
        return 1
    print(
        "VERIFIED: the manifest is signed, every file matches it, the ledger is intact, and every reason, "
        "message and attached file it holds a digest of is the one recorded."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
