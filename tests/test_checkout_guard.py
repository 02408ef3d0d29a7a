"""No test writes into the checkout (tests/checkout_guard.py): a run that leaves a file new, changed
or gone in it fails and names it, so a screenshot or a report can no longer land in `var/` or
`test-results/` of the checkout, where the next run, `make run` or `git status` finds it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

WRITER = """
from pathlib import Path


def test_writes_beside_itself():
    (Path(__file__).parent / "var").mkdir()
    (Path(__file__).parent / "var" / "screenshot.png").write_bytes(b"png")


def test_writes_where_it_may(tmp_path):
    (tmp_path / "fine.txt").write_text("fine")
"""


def _run(folder: Path, *args: str) -> subprocess.CompletedProcess:
    """A pytest run of its own in `folder` (its own root: no pyproject there) with the guard loaded."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "pytest", "-p", "tests.checkout_guard", "-p", "no:cacheprovider", "-q", *args]
    return subprocess.run(command, cwd=folder, env=env, capture_output=True, text=True, timeout=120)


def test_this_run_is_guarded(request):
    assert request.config.pluginmanager.has_plugin("tests.checkout_guard")


def test_a_run_that_writes_into_its_checkout_fails_and_names_the_file(tmp_path):
    (tmp_path / "pyproject.toml").write_text("[tool.pytest.ini_options]\n")
    (tmp_path / "test_writer.py").write_text(WRITER)
    result = _run(tmp_path, "test_writer.py")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "new: var/screenshot.png" in result.stdout and "fine.txt" not in result.stdout
    assert "2 passed, 1 written into the checkout" in result.stdout

    clean = _run(tmp_path, "test_writer.py", "-k", "where_it_may")
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "written into the checkout" not in clean.stdout
