"""The demo mode of `make run` (no DATABASE_URL: embedded SQLite, jobs in-process) is tried end to end
in a process of its own, on a temporary SQLite file and media root (tests/demo_mode/journeys.py)."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_demo_mode_runs_its_journeys_on_sqlite_with_jobs_in_process(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "APP_DATABASE_URL", "PORTAL_"))}
    env.update(
        DEBUG="true",
        SQLITE_PATH=str(tmp_path / "demo.sqlite3"),
        MEDIA_ROOT=str(tmp_path / "media"),
        DJANGO_SETTINGS_MODULE="portal.settings",
    )
    done = subprocess.run(
        [sys.executable, str(ROOT / "tests" / "demo_mode" / "journeys.py")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "demo mode: every journey passed" in done.stdout
    assert (tmp_path / "demo.sqlite3").exists()
