"""The language tests read the compiled catalogues: compiled once per run (as make test does), so
that running these tests alone also works."""

import subprocess
from pathlib import Path

import pytest

LOCALE = Path(__file__).resolve().parent.parent.parent / "locale"


@pytest.fixture(scope="session", autouse=True)
def compiled_messages():
    for po in LOCALE.glob("*/LC_MESSAGES/*.po"):
        mo = po.with_suffix(".mo")
        if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
            subprocess.run(["msgfmt", "--check-format", "-o", str(mo), str(po)], check=True)
