"""The offline verifiers run exactly as an auditor runs them: the bundle or export unzipped into a
fresh folder, `python3 verify_bundle.py .` (or `verify_ledger.py .`) from inside it, with a plain
`python3` found on PATH, bytecode writing on (no -B, no PYTHONDONTWRITEBYTECODE), with and without
-I, and twice in a row (the second run sees whatever the first one left in the folder)."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import zipfile
from datetime import timedelta

import pytest
from django.utils import timezone

from portal.reports.bundle import bundle_write
from portal.reports.sections import Period
from tenants.isolation import country_context
from tenants.record.exports import ledger_export_write
from tenants.record.ledger import event_record

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()
PERIOD = Period(TODAY - timedelta(days=30), TODAY)


def auditor_python() -> tuple[str, dict[str, str]]:
    """The first python3 on PATH, in an environment that lets it write bytecode."""
    python = shutil.which("python3")
    assert python, "python3 is not on PATH"
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONDONTWRITEBYTECODE", "PYTHONPATH", "PYTHONHOME"}}
    probe = subprocess.run(
        [python, "-c", "import sys; print(sys.dont_write_bytecode)"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    # The runs below prove something only if this interpreter would write __pycache__/.
    assert probe.stdout.strip() == "False", probe.stdout + probe.stderr
    return python, env


def run_in(folder, script, *flags):
    python, env = auditor_python()
    return subprocess.run(
        [python, *flags, script, "."], cwd=folder, capture_output=True, text=True, env=env, timeout=120, check=False
    )


def unzip(data: bytes, folder):
    folder.mkdir()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        archive.extractall(folder)
    return folder


@pytest.fixture
def history(cast):
    with country_context(cast.fr):
        for index in range(4):
            event_record(
                country=cast.fr,
                action="test.happened",
                actor=cast.owner,
                actor_role="country_admin",
                payload={"n": index},
            )


@pytest.mark.parametrize("flags", [(), ("-I",)], ids=["plain", "isolated"])
def test_an_unzipped_compliance_bundle_verifies_from_its_own_folder(cast, history, tmp_path, flags):
    out = io.BytesIO()
    bundle_write(country=cast.fr, period=PERIOD, out=out, kind="pack", file_name="bundle.zip")
    folder = unzip(out.getvalue(), tmp_path / "bundle")
    for attempt in (1, 2):
        result = run_in(folder, "verify_bundle.py", *flags)
        assert result.returncode == 0, f"run {attempt}: {result.stdout}{result.stderr}"
        assert "VERIFIED" in result.stdout and "NOT VERIFIED" not in result.stdout
    # Nothing was written into the auditor's copy of the bundle.
    assert not list(folder.rglob("__pycache__"))


def test_a_changed_file_in_the_unzipped_bundle_is_still_caught(cast, history, tmp_path):
    out = io.BytesIO()
    bundle_write(country=cast.fr, period=PERIOD, out=out, kind="pack", file_name="bundle.zip")
    folder = unzip(out.getvalue(), tmp_path / "bundle")
    with open(folder / "report.json", "a") as handle:
        handle.write(" ")
    result = run_in(folder, "verify_bundle.py")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "report.json: its content differs" in result.stdout


def test_bytecode_planted_next_to_the_verifier_is_not_run(cast, history, tmp_path):
    """A bundle that carries its own compiled verify_ledger (which Python would prefer to the source
    if it were imported the usual way) is reported as added, and its code never runs."""
    out = io.BytesIO()
    bundle_write(country=cast.fr, period=PERIOD, out=out, kind="pack", file_name="bundle.zip")
    folder = unzip(out.getvalue(), tmp_path / "bundle")
    python, env = auditor_python()
    subprocess.run([python, "-c", "import verify_ledger"], cwd=folder, env=env, check=True, timeout=60)
    planted = list(folder.glob("__pycache__/verify_ledger.*.pyc"))
    assert planted, "the interpreter wrote no bytecode to plant"
    result = run_in(folder, "verify_bundle.py")
    assert result.returncode == 1
    assert f"__pycache__/{planted[0].name}: not in the manifest (added)" in result.stdout


@pytest.mark.parametrize("flags", [(), ("-I",)], ids=["plain", "isolated"])
def test_an_unzipped_ledger_export_verifies_from_its_own_folder(cast, history, tmp_path, flags):
    out = io.BytesIO()
    ledger_export_write(country=cast.fr, out=out)
    folder = unzip(out.getvalue(), tmp_path / "export")
    for attempt in (1, 2):
        result = run_in(folder, "verify_ledger.py", *flags)
        assert result.returncode == 0, f"run {attempt}: {result.stdout}{result.stderr}"
        assert "VERIFIED" in result.stdout
