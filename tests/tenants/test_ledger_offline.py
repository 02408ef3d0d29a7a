"""The offline verification script: standard library only, accepts an intact export, rejects any
edit, deletion, insertion, reordering or forged checkpoint."""

import base64
import io
import json
import os
import subprocess
import sys
import zipfile

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tenants.record.exports import ExportRefused, ledger_export_write
from tenants.record.ledger import event_record
from tenants.record.offline import verify_ledger

SCRIPT = verify_ledger.__file__


@pytest.fixture
def export_dir(cast, tmp_path):
    for n in range(12):
        event_record(
            country=cast.fr,
            action="test.step",
            actor=cast.owner,
            actor_role="country_admin",
            payload={"step": n, "note": f"étape {n}"},
        )
    buffer = io.BytesIO()
    summary = ledger_export_write(country=cast.fr, out=buffer)
    assert summary == {"chain": "FR", "first": 1, "last": 12, "events": 12}
    folder = tmp_path / "export"
    with zipfile.ZipFile(buffer) as archive:
        assert sorted(archive.namelist()) == [
            "README.txt",
            "checkpoints.jsonl",
            "events.jsonl",
            "ledger-key.pem",
            "ledger-keyring.json",
            "segment.json",
            "verify_ledger.py",
        ]
        archive.extractall(folder)
    (tmp_path / "export.zip").write_bytes(buffer.getvalue())
    return folder


def run_script(target, *extra):
    # -I -S: isolated, without site-packages: the script must need nothing but the standard library.
    # The script run is the copy shipped inside the export.
    script = target / "verify_ledger.py" if target.is_dir() else SCRIPT
    return subprocess.run(
        [sys.executable, "-I", "-S", str(script), str(target), *extra], capture_output=True, text=True, timeout=60
    )


def read_events(folder):
    return [json.loads(line) for line in (folder / "events.jsonl").read_text().splitlines() if line]


def write_events(folder, events):
    (folder / "events.jsonl").write_text("".join(json.dumps(e, ensure_ascii=False) + "\n" for e in events))


def test_intact_export_verifies_from_folder_and_zip(export_dir):
    result = run_script(export_dir)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "VERIFIED" in result.stdout and "events 1 to 12" in result.stdout
    zipped = subprocess.run(
        [sys.executable, "-I", "-S", SCRIPT, str(export_dir.parent / "export.zip")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert zipped.returncode == 0, zipped.stdout


def test_edited_field_is_detected(export_dir):
    events = read_events(export_dir)
    events[4]["payload"]["step"] = 99
    write_events(export_dir, events)
    result = run_script(export_dir)
    assert result.returncode == 1
    assert "event 5: its content does not match its hash" in result.stdout


def test_edited_field_with_recomputed_hash_is_detected(export_dir):
    """A forger who also recomputes the hash breaks the link to the next event and the checkpoint."""
    events = read_events(export_dir)
    events[-1]["action"] = "test.forged"
    fields = {k: events[-1][k] for k in verify_ledger.EVENT_KEYS}
    events[-1]["hash"] = __import__("hashlib").sha256(verify_ledger.canonical_bytes(fields)).hexdigest()
    write_events(export_dir, events)
    result = run_script(export_dir)
    assert result.returncode == 1
    assert "differs from what was signed" in result.stdout


def test_deleted_event_is_detected(export_dir):
    events = read_events(export_dir)
    del events[6]
    write_events(export_dir, events)
    result = run_script(export_dir)
    assert result.returncode == 1
    assert "event 8 follows event 6" in result.stdout


def test_deleted_last_event_is_detected(export_dir):
    events = read_events(export_dir)
    write_events(export_dir, events[:-1])
    result = run_script(export_dir)
    assert result.returncode == 1
    assert "beyond the last event" in result.stdout


def test_inserted_event_is_detected(export_dir):
    events = read_events(export_dir)
    forged = dict(events[3])
    forged["action"] = "test.inserted"
    events.insert(4, forged)
    write_events(export_dir, events)
    result = run_script(export_dir)
    assert result.returncode == 1
    assert "NOT VERIFIED" in result.stdout


def test_a_full_export_cut_from_the_start_is_refused(export_dir):
    """Events 1-3 cut off a full export: the rest still chains and its end is still signed, but the
    portal's signed range says the export starts at event 1."""
    write_events(export_dir, read_events(export_dir)[3:])
    result = run_script(export_dir)
    assert result.returncode == 1, result.stdout
    assert "events 1 to 3 were cut off the start" in result.stdout


def test_a_cut_export_with_its_range_statement_removed_is_refused(export_dir):
    write_events(export_dir, read_events(export_dir)[3:])
    (export_dir / "segment.json").unlink()
    result = run_script(export_dir)
    assert result.returncode == 1, result.stdout
    assert "starts at event 4, not at the chain's start" in result.stdout
    assert "no signed statement of its range" in result.stdout


def test_a_range_statement_rewritten_to_match_the_cut_is_refused(export_dir):
    write_events(export_dir, read_events(export_dir)[3:])
    statement = json.loads((export_dir / "segment.json").read_text())
    (export_dir / "segment.json").write_text(json.dumps({**statement, "first": 4}))
    result = run_script(export_dir)
    assert result.returncode == 1, result.stdout
    assert "segment.json: the signature is not the portal key's" in result.stdout


def test_a_full_export_cut_at_an_earlier_checkpoint_is_refused(cast, tmp_path):
    """The end cut back to an earlier signed checkpoint (its later checkpoints dropped too)."""
    from tenants.record import ledger

    _steps(cast, 4)
    ledger.checkpoint_create(country=cast.fr)
    _steps(cast, 3)
    folder = _exported(cast, tmp_path)
    write_events(folder, read_events(folder)[:4])
    checkpoints = (folder / "checkpoints.jsonl").read_text().splitlines()
    (folder / "checkpoints.jsonl").write_text(checkpoints[0] + "\n")
    result = run_script(folder)
    assert result.returncode == 1, result.stdout
    assert "events 5 to 7 were cut off the end" in result.stdout


def test_a_segment_says_it_is_one(cast, tmp_path):
    _steps(cast, 7)
    folder = _exported(cast, tmp_path, first=3)
    result = run_script(folder)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "a segment of chain FR, events 3 to 7, not the whole chain: events 1 to 2 are not in this export" in (
        result.stdout
    )
    whole = run_script(_exported(cast, tmp_path / "whole"))
    assert whole.returncode == 0 and "from the chain's start (the genesis) to event 7" in whole.stdout


def _exported(cast, tmp_path, **bounds):
    buffer = io.BytesIO()
    ledger_export_write(country=cast.fr, out=buffer, **bounds)
    folder = tmp_path / "export"
    with zipfile.ZipFile(buffer) as archive:
        archive.extractall(folder)
    return folder


def test_swapped_events_are_detected(export_dir):
    events = read_events(export_dir)
    events[2], events[3] = events[3], events[2]
    write_events(export_dir, events)
    result = run_script(export_dir)
    assert result.returncode == 1
    assert "event 4 follows event 2" in result.stdout


def test_forged_checkpoint_signature_is_detected(export_dir):
    checkpoint = json.loads((export_dir / "checkpoints.jsonl").read_text().splitlines()[-1])
    forger = Ed25519PrivateKey.generate()
    message = verify_ledger.canonical_bytes({k: checkpoint[k] for k in verify_ledger.CHECKPOINT_KEYS})
    checkpoint["signature"] = base64.b64encode(forger.sign(message)).decode()
    (export_dir / "checkpoints.jsonl").write_text(json.dumps(checkpoint) + "\n")
    result = run_script(export_dir)
    assert result.returncode == 1
    assert "signature is not the portal key's" in result.stdout


def test_swapping_in_the_forgers_key_is_caught_by_the_published_key(export_dir, tmp_path):
    """Re-signing with a new key and shipping that key passes only if the auditor trusts the
    export's own key: given the portal's published key, the script refuses."""
    published = (export_dir / "ledger-key.pem").read_text()
    forger = Ed25519PrivateKey.generate()
    lines = []
    for line in (export_dir / "checkpoints.jsonl").read_text().splitlines():
        checkpoint = json.loads(line)
        message = verify_ledger.canonical_bytes({k: checkpoint[k] for k in verify_ledger.CHECKPOINT_KEYS})
        checkpoint["signature"] = base64.b64encode(forger.sign(message)).decode()
        lines.append(json.dumps(checkpoint))
    (export_dir / "checkpoints.jsonl").write_text("\n".join(lines) + "\n")
    statement = json.loads((export_dir / "segment.json").read_text())
    message = verify_ledger.canonical_bytes({k: statement[k] for k in verify_ledger.SEGMENT_KEYS})
    statement["signature"] = base64.b64encode(forger.sign(message)).decode()
    (export_dir / "segment.json").write_text(json.dumps(statement))
    (export_dir / "ledger-key.pem").write_bytes(
        forger.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    (export_dir / "ledger-keyring.json").unlink()  # the keyring would name the portal's key
    (tmp_path / "published.pem").write_text(published)
    assert run_script(export_dir).returncode == 0  # self-consistent…
    result = run_script(export_dir, "--key", str(tmp_path / "published.pem"))
    assert result.returncode == 1  # …but not signed by the portal


def test_a_field_no_hash_covers_is_detected(export_dir):
    """A line may not carry more than its hash covers: an added "reason" would read as recorded."""
    events = read_events(export_dir)
    events[3]["reason"] = "Approved by the minister in person"
    write_events(export_dir, events)
    result = run_script(export_dir)
    assert result.returncode == 1
    assert "event 4 carries fields no hash covers (added): reason" in result.stdout


def test_a_forgers_key_added_to_the_shipped_keyring_vouches_for_nothing(export_dir):
    """The export's own keyring is the forger's to edit: a tail re-signed with a key added there,
    ledger-key.pem left alone (so the printed fingerprint is the portal's), is refused; only a
    keyring the auditor brings (--keyring) vouches for a key other than the printed one."""
    forger = Ed25519PrivateKey.generate()
    raw = forger.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    forger_id = __import__("hashlib").sha256(raw).hexdigest()[:16]
    ring = json.loads((export_dir / "ledger-keyring.json").read_text())
    pem = forger.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    ring["keys"].append({"key_id": forger_id, "public_key": pem.decode(), "valid_from": "2000-01-01T00:00:00Z"})
    (export_dir / "ledger-keyring.json").write_text(json.dumps(ring))
    lines = (export_dir / "checkpoints.jsonl").read_text().splitlines()
    checkpoint = json.loads(lines[-1])
    checkpoint["key_id"] = forger_id
    message = verify_ledger.canonical_bytes({k: checkpoint[k] for k in verify_ledger.CHECKPOINT_KEYS})
    checkpoint["signature"] = base64.b64encode(forger.sign(message)).decode()
    (export_dir / "checkpoints.jsonl").write_text("\n".join([*lines[:-1], json.dumps(checkpoint)]) + "\n")
    result = run_script(export_dir)
    assert result.returncode == 1, result.stdout
    assert f"signed by key {forger_id}, which only the export's own keyring vouches for" in result.stdout


def test_unreadable_export_exits_2(tmp_path):
    (tmp_path / "broken.zip").write_bytes(b"not a zip")
    result = subprocess.run(
        [sys.executable, "-I", "-S", SCRIPT, str(tmp_path / "broken.zip")], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2 and "Cannot read the export" in result.stderr


@pytest.mark.parametrize("seed", range(5))
def test_pure_python_ed25519_agrees_with_cryptography(seed):
    key = Ed25519PrivateKey.generate()
    public = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    message = os.urandom(seed * 37)
    signature = key.sign(message)
    assert verify_ledger.ed25519_verify(public, message, signature)
    assert not verify_ledger.ed25519_verify(public, message + b"x", signature)
    tampered = bytearray(signature)
    tampered[seed] ^= 0x40
    assert not verify_ledger.ed25519_verify(public, message, bytes(tampered))


def test_segment_bounds_are_checked(cast):
    event_record(country=cast.fr, action="test.one")
    with pytest.raises(ExportRefused, match="at most 1"):
        ledger_export_write(country=cast.fr, out=io.BytesIO(), last=5)
    with pytest.raises(ExportRefused, match="no events"):
        ledger_export_write(country=cast.ke, out=io.BytesIO())


def _steps(cast, count):
    for n in range(count):
        event_record(
            country=cast.fr, action="test.step", actor=cast.owner, actor_role="country_admin", payload={"n": n}
        )


def _checkpoints(cast):
    from tenants.isolation import country_context
    from tenants.record.models import CountryCheckpoint

    with country_context(cast.fr):
        return list(
            CountryCheckpoint.objects.filter(country=cast.fr).order_by("sequence").values_list("sequence", flat=True)
        )


def test_an_export_past_the_last_checkpoint_verifies_from_it_not_from_the_start(cast, monkeypatch, tmp_path):
    """Signing the export's last event verifies the events after the last checkpoint whose
    signature holds (not the whole chain again), and the export still verifies offline."""
    from tenants.record import ledger

    _steps(cast, 8)
    ledger.checkpoint_create(country=cast.fr)
    assert _checkpoints(cast) == [8]
    _steps(cast, 4)
    seen = _rows_read(monkeypatch)
    buffer = io.BytesIO()
    assert ledger_export_write(country=cast.fr, out=buffer, first=3)["events"] == 10
    assert seen == [(8, [9, 10, 11, 12])]
    assert _checkpoints(cast) == [8, 12]  # the segment's end is signed
    with zipfile.ZipFile(buffer) as archive:
        archive.extractall(tmp_path / "export")
    result = run_script(tmp_path / "export")
    assert result.returncode == 0 and "events 3 to 12" in result.stdout, result.stdout + result.stderr


def _rows_read(monkeypatch, *, alter: int | None = None) -> list:
    """Watch what verification reads: (the base it starts after, the sequences it reads); with
    `alter`, that event's action read as changed (an event altered in storage)."""
    from tenants.record import ledger

    seen, original = [], ledger._verify_rows

    def watching(report, rows, wanted, *, after=(0, ledger.GENESIS_HASH)):
        rows = [(*row[:4], "test.forged", *row[5:]) if row[0] == alter else row for row in rows]
        seen.append((after[0], [row[0] for row in rows]))
        return original(report, rows, wanted, after=after)

    monkeypatch.setattr(ledger, "_verify_rows", watching)
    return seen


def test_a_break_after_the_last_checkpoint_is_not_signed(cast, monkeypatch):
    from tenants.record import ledger

    _steps(cast, 6)
    ledger.checkpoint_create(country=cast.fr)
    _steps(cast, 3)
    seen = _rows_read(monkeypatch, alter=8)
    ledger_export_write(country=cast.fr, out=io.BytesIO())
    assert seen == [(6, [7, 8, 9])]
    assert _checkpoints(cast) == [6]  # event 9 is not signed over an altered event 8


def test_a_checkpoint_whose_signature_fails_is_no_base(cast, monkeypatch):
    from tenants.record import ledger

    _steps(cast, 5)
    ledger.checkpoint_create(country=cast.fr)
    _steps(cast, 2)
    monkeypatch.setattr(ledger, "checkpoint_signature_valid", lambda chain, checkpoint: checkpoint.sequence != 5)
    seen = _rows_read(monkeypatch, alter=2)
    ledger_export_write(country=cast.fr, out=io.BytesIO())
    # The checkpoint vouches for nothing: verification ran from the start, and found event 2.
    assert seen == [(0, [1, 2, 3, 4, 5, 6, 7])]
    assert _checkpoints(cast) == [5]
