"""`make run PORT=…` writes links to the port it serves: scripts/run.sh takes its addresses from
scripts/run_env.sh, which derives PORTAL_BASE_URL (the links of mails) and GATEWAY_PUBLIC_URL from
PORT, HOST and GATEWAY_PORT, unless they are set; the settings then read them."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NAMES = ("PORT", "HOST", "GATEWAY_PORT", "PORTAL_BASE_URL", "GATEWAY_PUBLIC_URL")


def sourced(**given: str) -> dict[str, str]:
    """The environment run.sh has after its addresses, for `given` (nothing else of ours set)."""
    env = {k: v for k, v in os.environ.items() if k not in NAMES}
    env.update(given)
    result = subprocess.run(
        ["bash", "-c", "set -euo pipefail; source scripts/run_env.sh; env -0"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    return dict(item.split("=", 1) for item in result.stdout.split("\0") if "=" in item)


def test_the_links_follow_the_port_served():
    env = sourced(PORT="8100", GATEWAY_PORT="8101")
    assert env["PORTAL_BASE_URL"] == "http://127.0.0.1:8100"
    assert env["GATEWAY_PUBLIC_URL"] == "http://127.0.0.1:8101"
    defaults = sourced()
    assert defaults["PORTAL_BASE_URL"] == "http://127.0.0.1:8000" and defaults["PORT"] == "8000"
    assert sourced(HOST="0.0.0.0", PORT="8100")["PORTAL_BASE_URL"] == "http://127.0.0.1:8100"
    assert sourced(HOST="portal.local", PORT="8100")["PORTAL_BASE_URL"] == "http://portal.local:8100"
    given = sourced(PORT="8100", PORTAL_BASE_URL="https://portal.example.org")
    assert given["PORTAL_BASE_URL"] == "https://portal.example.org"  # an operator's choice stands


def test_the_settings_read_what_the_script_derived():
    env = sourced(PORT="8100", DEBUG="true")
    probe = "from django.conf import settings; print(settings.PORTAL_BASE_URL, settings.GATEWAY_PUBLIC_URL)"
    shown = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": "portal.settings"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert shown.stdout.split() == ["http://127.0.0.1:8100", "http://127.0.0.1:8001"], shown.stderr


def test_run_sh_takes_its_addresses_from_run_env_before_using_them():
    script = (ROOT / "scripts" / "run.sh").read_text()
    lines = script.splitlines()
    source_line = next(n for n, line in enumerate(lines) if 'source "$(dirname "$0")/run_env.sh"' in line)
    first_use = next(n for n, line in enumerate(lines) if re.search(r"\$\{?(PORT|HOST|GATEWAY_PORT)\b", line))
    assert source_line < first_use
    # No second default of its own that could disagree with run_env.sh.
    assert not re.search(r"^\s*(export\s+)?(PORT|HOST|GATEWAY_PORT|PORTAL_BASE_URL)=", script, re.MULTILINE)
