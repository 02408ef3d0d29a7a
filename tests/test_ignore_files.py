""".gitignore and .dockerignore name what the project writes into a checkout, and nothing else: an
entry that no process, script or tool of the project makes is a stale one (it hides a file that
someone may add on purpose), and what the project does write is never offered to `git add`."""

from __future__ import annotations

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# What the tools the project runs write by themselves (Python, pip/venv, npm, pytest, ruff).
TOOLS = {"__pycache__", "*.pyc", ".venv", "venv", "node_modules", ".pytest_cache", ".ruff_cache", ".git", ".gitignore"}
# Each other entry, and a tracked file that makes it or says where it is made.
MADE_BY = {
    "var": "portal/settings.py",  # VAR_DIR: logs, development keys, stored files, the embedded database
    "static/build": "package.json",  # the stylesheet build
    "secrets": "scripts/generate_secrets.py",
    ".env": "docker-compose.yml",  # read by Docker Compose, written by the operator
    ".env.*": "docker-compose.yml",
    "*.sqlite3": "scripts/run.sh",
    "*.mo": "Dockerfile",  # compilemessages
}


def _entries(name: str) -> list[str]:
    lines = (ROOT / name).read_text().splitlines()
    return [line.strip().strip("/").removeprefix("**/") for line in lines if line.strip() and not line.startswith("#")]


def test_every_ignored_name_is_something_the_project_writes():
    for entry in _entries(".gitignore"):
        if entry in TOOLS:
            continue
        assert entry in MADE_BY, f".gitignore: {entry!r} is written by nothing of the project"
        source = MADE_BY[entry]
        needle = entry.strip("*.") if entry.startswith("*") else entry
        assert needle in (ROOT / source).read_text(), (entry, source)
    # The image's build context leaves out the same outputs, and no name the project never makes.
    assert {e for e in _entries(".gitignore") if e not in TOOLS} <= set(_entries(".dockerignore"))
    assert "test-results" not in _entries(".dockerignore")


def test_what_the_project_writes_is_never_offered_to_git():
    written = [
        "var/gateway.log",
        "static/build/portal.css",
        "secrets/secret_key",
        ".env",
        "locale/fr/LC_MESSAGES/django.mo",
        "portal.sqlite3",
        ".ruff_cache/CACHEDIR.TAG",
    ]
    found = subprocess.run(
        ["git", "check-ignore", "--no-index", *written], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert sorted(found.stdout.split()) == sorted(written)
