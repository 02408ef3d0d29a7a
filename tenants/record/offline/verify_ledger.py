#!/usr/bin/env python3
"""Verify a ledger export of the Sovereign AI Onboarding Portal, offline, with Python's standard
library only.

    python3 verify_ledger.py EXPORT            (EXPORT: the .zip, or the folder it was unpacked to)
    python3 verify_ledger.py EXPORT --key ledger-key.pem   (a public key you obtained yourself)
    python3 verify_ledger.py EXPORT --keyring ledger-keyring.json   (every key, after rotations)

It checks that every event's SHA-256 matches its content and the hash of the event before it,
that sequence numbers follow one another, and that every checkpoint carries a valid Ed25519
signature of the portal's key over the chain's head at that point. Any edited field, deleted,
inserted or reordered event, or forged checkpoint is reported, and the exit status is 1.
Exit status 0 means the export is intact; 2 means it could not be read.

Both ends are anchored. The end: a checkpoint must sign the last event. The start: an export
from the chain's start begins at event 1, linked to the genesis hash; one that begins later is a
segment, accepted only when segment.json, the portal's signed statement of the range it exported,
names that first event (and that last one): events cut off either end of an export are reported.
The verdict says which it verified: the chain from its start, or a segment from event N.

Compare the key's fingerprint printed here with the one the portal publishes at
/.well-known/ledger-key.pem (or pass your own copy with --key): a signature only proves
something if the key is the portal's.
"""

import base64
import hashlib
import io
import json
import sys
import zipfile
from pathlib import Path

GENESIS_HASH = "0" * 64

# --- Ed25519 signature verification (RFC 8032), written for clarity rather than speed ------------
P = 2**255 - 19
L = 2**252 + 27742317777372353535851937790883648493
D = (-121665 * pow(121666, P - 2, P)) % P
SQRT_M1 = pow(2, (P - 1) // 4, P)


def _inv(x):
    return pow(x, P - 2, P)


def _add(p1, p2):
    """Add two points in extended coordinates (X, Y, Z, T) on the twisted Edwards curve a = -1."""
    x1, y1, z1, t1 = p1
    x2, y2, z2, t2 = p2
    a = (y1 - x1) * (y2 - x2) % P
    b = (y1 + x1) * (y2 + x2) % P
    c = 2 * D * t1 * t2 % P
    d = 2 * z1 * z2 % P
    e, f, g, h = b - a, d - c, d + c, b + a
    return (e * f % P, g * h % P, f * g % P, e * h % P)


def _multiply(scalar, point):
    result = (0, 1, 1, 0)  # the neutral element
    while scalar:
        if scalar & 1:
            result = _add(result, point)
        point = _add(point, point)
        scalar >>= 1
    return result


def _recover_x(y, sign):
    if y >= P:
        return None
    u = (y * y - 1) % P
    v = (D * y * y + 1) % P
    x = u * pow(v, 3, P) * pow(u * pow(v, 7, P), (P - 5) // 8, P) % P
    if (v * x * x - u) % P != 0:
        if (v * x * x + u) % P != 0:
            return None
        x = x * SQRT_M1 % P
    if x == 0 and sign:
        return None
    if x & 1 != sign:
        x = P - x
    return x


def _decode_point(data):
    if len(data) != 32:
        return None
    value = int.from_bytes(data, "little")
    y, sign = value & ((1 << 255) - 1), value >> 255
    x = _recover_x(y, sign)
    if x is None:
        return None
    return (x, y, 1, x * y % P)


def _encode_point(point):
    x, y, z, _ = point
    zi = _inv(z)
    x, y = x * zi % P, y * zi % P
    return (y | ((x & 1) << 255)).to_bytes(32, "little")


_BASE_Y = 4 * _inv(5) % P
BASE = (_recover_x(_BASE_Y, 0), _BASE_Y, 1, _recover_x(_BASE_Y, 0) * _BASE_Y % P)


def ed25519_verify(public_key, message, signature):
    if len(public_key) != 32 or len(signature) != 64:
        return False
    a = _decode_point(public_key)
    r = _decode_point(signature[:32])
    if a is None or r is None:
        return False
    s = int.from_bytes(signature[32:], "little")
    if s >= L:
        return False
    h = int.from_bytes(hashlib.sha512(signature[:32] + public_key + message).digest(), "little") % L
    # Valid when [s]B = R + [h]A; compared through the canonical encoding.
    left = _multiply(s, BASE)
    right = _add(r, _multiply(h, a))
    return _encode_point(left) == _encode_point(right)


# --- Reading the export ---------------------------------------------------------------------------
SPKI_ED25519_PREFIX = bytes.fromhex("302a300506032b6570032100")


def public_key_from_pem(text):
    lines = [line.strip() for line in text.strip().splitlines()]
    if not lines or lines[0] != "-----BEGIN PUBLIC KEY-----" or lines[-1] != "-----END PUBLIC KEY-----":
        raise ValueError("not a PEM public key")
    der = base64.b64decode("".join(lines[1:-1]))
    if len(der) != 44 or not der.startswith(SPKI_ED25519_PREFIX):
        raise ValueError("not an Ed25519 public key")
    return der[len(SPKI_ED25519_PREFIX) :]


def canonical_bytes(fields):
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


EVENT_KEYS = (
    "chain",
    "sequence",
    "at",
    "actor",
    "actor_role",
    "action",
    "target_type",
    "target_id",
    "payload",
    "prev_hash",
)
CHECKPOINT_KEYS = ("chain", "sequence", "head_hash", "at", "key_id")
SEGMENT_KEYS = ("chain", "first", "last", "at", "key_id")


class Export:
    def __init__(self, location):
        path = Path(location)
        if path.is_dir():
            self.files = {p.name: p.read_bytes() for p in path.iterdir() if p.is_file()}
        else:
            with zipfile.ZipFile(path) as archive:
                self.files = {Path(n).name: archive.read(n) for n in archive.namelist() if not n.endswith("/")}

    def text(self, name):
        if name not in self.files:
            raise ValueError(f"the export has no {name}")
        return self.files[name].decode("utf-8")

    def lines(self, name):
        records = []
        for number, line in enumerate(io.StringIO(self.text(name)), start=1):
            if line.strip():
                try:
                    records.append(json.loads(line))
                except json.JSONDecodeError:
                    raise ValueError(f"{name} line {number} is not valid JSON") from None
        return records


def keyring_from_json(text):
    """{key_id: (raw public key, valid_from, valid_until)} from a keyring (ledger-keyring.json, as
    the export ships it or as /.well-known/ledger-keyring.json publishes it)."""
    ring = {}
    for entry in json.loads(text)["keys"]:
        raw = public_key_from_pem(entry["public_key"])
        if hashlib.sha256(raw).hexdigest()[:16] != entry["key_id"]:
            raise ValueError(f"the keyring's key {entry['key_id']} does not match its id")
        ring[entry["key_id"]] = (raw, entry.get("valid_from"), entry.get("valid_until"))
    return ring


def key_in_window(keyring, key_id, at, what):
    """(raw key, None) when the keyring holds `key_id` and `at` falls inside its validity window;
    (None, the reason) otherwise. A retired key's window closed when the next key took over: a
    signature it made later is refused even if it is mathematically valid (a stolen retired key)."""
    found = keyring.get(key_id)
    if found is None:
        return None, f"{what} names key {key_id}, which the keyring does not hold"
    raw, valid_from, valid_until = found
    if (valid_from and at < valid_from) or (valid_until and at > valid_until):
        return None, (
            f"{what} is dated {at}, outside the validity window of key {key_id} "
            f"(from {valid_from or 'the start'} until {valid_until or 'now'}): "
            "that key could not sign it then (a retired key used after its window closed)"
        )
    return raw, None


def _key_of(checkpoint, public_key, keyring):
    """The key a checkpoint must be signed with and, if there is none, why: the one key given, or
    the keyring's key it names, if the checkpoint falls inside that key's window."""
    if keyring is None:
        return public_key, None
    return key_in_window(keyring, checkpoint["key_id"], checkpoint["at"], f"checkpoint {checkpoint['sequence']}")


def signed_range(export, chain, public_key, keyring, keyring_trusted):
    """((first, last), None) from segment.json when the portal's key signed it, else (None, why)."""
    if "segment.json" not in export.files:
        return None, "the export carries no signed statement of its range (segment.json): events may have been cut off"
    try:
        statement = json.loads(export.text("segment.json"))
    except ValueError:
        return None, "segment.json is not valid JSON"
    if not isinstance(statement, dict) or any(k not in statement for k in SEGMENT_KEYS + ("signature",)):
        return None, "segment.json lacks some of its fields"
    if statement["chain"] != chain:
        return None, f"segment.json is for chain {statement['chain']}, not {chain}"
    own_id = hashlib.sha256(public_key).hexdigest()[:16]
    key = public_key
    if keyring is not None and not keyring_trusted and statement["key_id"] != own_id:
        return None, (
            f"segment.json is signed by key {statement['key_id']}, which only the export's own keyring vouches for, "
            f"not by the key printed above ({own_id})"
        )
    if keyring is not None:
        key, reason = key_in_window(keyring, statement["key_id"], statement["at"], "segment.json")
        if key is None:
            return None, reason
    try:
        signature = base64.b64decode(statement["signature"], validate=True)
    except ValueError:
        signature = b""
    if not ed25519_verify(key, canonical_bytes({k: statement[k] for k in SEGMENT_KEYS}), signature):
        return None, "segment.json: the signature is not the portal key's (the range was altered)"
    return (statement["first"], statement["last"]), None


def _range_problems(signed, problem, first, last):
    """What is wrong with the ends of an export that holds events `first` to `last`."""
    if signed is None:
        found = [problem]
        if first != 1:
            found.append(
                f"the export starts at event {first}, not at the chain's start (the genesis), and nothing the portal "
                f"signed says it is a segment: events 1 to {first - 1} may have been cut off"
            )
        return found
    found = []
    if first > signed[0]:
        found.append(
            f"events {signed[0]} to {first - 1} were cut off the start: the portal exported events {signed[0]} to "
            f"{signed[1]} (segment.json)"
        )
    elif first < signed[0]:
        found.append(f"the export starts at event {first}, before the range the portal exported ({signed[0]})")
    if last < signed[1]:
        found.append(
            f"events {last + 1} to {signed[1]} were cut off the end: the portal exported events {signed[0]} to "
            f"{signed[1]} (segment.json)"
        )
    elif last > signed[1]:
        found.append(f"the export runs to event {last}, past the range the portal exported ({signed[1]})")
    return found


def verify(export, public_key, keyring=None, keyring_trusted=True):
    """Return (problems, summary). No problems means the export is intact. With a keyring, each
    checkpoint is checked under the key it names (and within that key's window). A keyring that
    came from inside the export (`keyring_trusted` False) vouches for nothing by itself: the
    checkpoint that anchors the export's end must then be signed by `public_key`, the key whose
    fingerprint is printed for the person to compare with the one the portal publishes."""
    problems = []
    own_id = hashlib.sha256(public_key).hexdigest()[:16]
    events = export.lines("events.jsonl")
    checkpoints = export.lines("checkpoints.jsonl")
    if not events:
        return ["the export holds no events"], {}
    chain = events[0].get("chain")
    hashes = {}
    previous_hash = None
    previous_sequence = None
    for index, event in enumerate(events, start=1):
        missing = [k for k in EVENT_KEYS + ("hash",) if k not in event]
        if missing:
            problems.append(f"event line {index} lacks {', '.join(missing)}")
            continue
        sequence = event["sequence"]
        unhashed = sorted(set(event) - set(EVENT_KEYS) - {"hash"})
        if unhashed:
            problems.append(f"event {sequence} carries fields no hash covers (added): {', '.join(unhashed)}")
        if event["chain"] != chain:
            problems.append(f"event {sequence} belongs to chain {event['chain']}, not {chain}")
        fields = {k: event[k] for k in EVENT_KEYS}
        if hashlib.sha256(canonical_bytes(fields)).hexdigest() != event["hash"]:
            problems.append(f"event {sequence}: its content does not match its hash (edited)")
        if previous_sequence is None:
            if sequence == 1 and event["prev_hash"] != GENESIS_HASH:
                problems.append("event 1 does not start from the genesis hash")
        else:
            if sequence != previous_sequence + 1:
                problems.append(
                    f"event {sequence} follows event {previous_sequence} (events deleted, inserted or reordered)"
                )
            if event["prev_hash"] != previous_hash:
                problems.append(f"event {sequence} does not link to the hash of the event before it")
        if sequence in hashes:
            problems.append(f"event {sequence} appears twice")
        hashes[sequence] = event["hash"]
        previous_hash, previous_sequence = event["hash"], sequence

    first, last = events[0].get("sequence"), events[-1].get("sequence")
    anchored = False
    foreign_anchor = None
    for checkpoint in checkpoints:
        missing = [k for k in CHECKPOINT_KEYS + ("signature",) if k not in checkpoint]
        if missing:
            problems.append(f"a checkpoint lacks {', '.join(missing)}")
            continue
        sequence = checkpoint["sequence"]
        message = canonical_bytes({k: checkpoint[k] for k in CHECKPOINT_KEYS})
        try:
            signature = base64.b64decode(checkpoint["signature"], validate=True)
        except ValueError:
            signature = b""
        if checkpoint["chain"] != chain:
            problems.append(f"checkpoint {sequence} is for chain {checkpoint['chain']}, not {chain}")
        elif (found := _key_of(checkpoint, public_key, keyring))[0] is None:
            problems.append(found[1])
        elif not ed25519_verify(found[0], message, signature):
            problems.append(f"checkpoint {sequence}: the signature is not the portal key's (forged or altered)")
        elif first <= sequence <= last:
            if sequence not in hashes:
                problems.append(f"checkpoint {sequence}: the event it signed is missing")
            elif hashes[sequence] != checkpoint["head_hash"]:
                problems.append(f"checkpoint {sequence}: the chain differs from what was signed")
            elif sequence == last:
                if keyring is not None and not keyring_trusted and checkpoint["key_id"] != own_id:
                    foreign_anchor = checkpoint["key_id"]
                else:
                    anchored = True
        elif sequence > last:
            problems.append(f"checkpoint {sequence} is beyond the last event {last} (events removed from the end)")
    if not anchored and foreign_anchor:
        problems.append(
            f"checkpoint {last} is signed by key {foreign_anchor}, which only the export's own keyring vouches "
            f"for, not by the key printed above ({own_id}): check it with --keyring and your own copy of "
            "/.well-known/ledger-keyring.json"
        )
    if not anchored:
        problems.append(f"no valid checkpoint signs the last event ({last}): the end of the export is not anchored")
    signed, problem = signed_range(export, chain, public_key, keyring, keyring_trusted)
    problems.extend(_range_problems(signed, problem, first, last))
    summary = {
        "chain": chain,
        "first": first,
        "last": last,
        "events": len(events),
        "checkpoints": len(checkpoints),
        "segment": first != 1,
    }
    return problems, summary


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
            "usage: python3 verify_ledger.py EXPORT [--key ledger-key.pem | --keyring ledger-keyring.json]",
            file=sys.stderr,
        )
        return 2
    try:
        export = Export(args[0])
        pem = Path(key_path).read_text() if key_path else export.text("ledger-key.pem")
        public_key = public_key_from_pem(pem)
        keyring = None
        if keyring_path:
            keyring = keyring_from_json(Path(keyring_path).read_text())
        elif not key_path and "ledger-keyring.json" in export.files:
            keyring = keyring_from_json(export.text("ledger-keyring.json"))
        problems, summary = verify(export, public_key, keyring, keyring_trusted=bool(keyring_path))
    except (OSError, ValueError, zipfile.BadZipFile) as error:
        print(f"Cannot read the export: {error}", file=sys.stderr)
        return 2
    fingerprint = hashlib.sha256(public_key).hexdigest()[:16]
    print(f"Public key fingerprint: {fingerprint}")
    for key_id, (_, valid_from, valid_until) in sorted((keyring or {}).items()):
        print(f"Keyring key {key_id}: valid from {valid_from or 'the start'} until {valid_until or 'now'}")
    if summary:
        print(
            f"Chain {summary['chain']}: events {summary['first']} to {summary['last']} "
            f"({summary['events']} events, {summary['checkpoints']} checkpoints)"
        )
    if problems:
        print("NOT VERIFIED:")
        for problem in problems:
            print(f"  - {problem}")
        return 1
    if summary["segment"]:
        print(
            f"VERIFIED: a segment of chain {summary['chain']}, events {summary['first']} to {summary['last']}, "
            f"not the whole chain: events 1 to {summary['first'] - 1} are not in this export. The range is the one "
            f"the portal signed (segment.json), and the segment is anchored by the signed checkpoint at "
            f"{summary['last']}."
        )
    else:
        print(
            f"VERIFIED: every event and checkpoint is intact, from the chain's start (the genesis) to event "
            f"{summary['last']}, anchored by the signed checkpoint at {summary['last']}."
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
