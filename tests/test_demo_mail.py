"""`make run`'s mail can be read (scripts/run_env.sh): with DEBUG each mail is written in full to a
file under var/mail, so that an invitation or a password-reset link can be followed, while the
logs keep writing those links' secrets as [redacted] (tenants/telemetry.py)."""

from __future__ import annotations

import logging
import os
import subprocess
from pathlib import Path

from django.core import mail
from django.test import override_settings

from tenants.telemetry import structured_formatter

ROOT = Path(__file__).resolve().parent.parent
FILE_BACKEND = "django.core.mail.backends.filebased.EmailBackend"


def sourced(**given: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "EMAIL_BACKEND", "EMAIL_FILE_PATH")}
    env.update(given)
    result = subprocess.run(
        ["bash", "-c", "set -euo pipefail; source scripts/run_env.sh; env -0"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=30, check=True,
    )  # fmt: skip
    return dict(item.split("=", 1) for item in result.stdout.split("\0") if "=" in item)


def test_the_demo_writes_mail_to_files_and_says_where():
    demo = sourced()
    assert (demo["EMAIL_BACKEND"], demo["EMAIL_FILE_PATH"]) == (FILE_BACKEND, "var/mail")
    assert sourced(DEBUG="true")["EMAIL_BACKEND"] == FILE_BACKEND
    # Not outside the demo, and never over a backend that was chosen.
    assert "EMAIL_BACKEND" not in sourced(DEBUG="false")
    smtp = "django.core.mail.backends.smtp.EmailBackend"
    assert sourced(EMAIL_BACKEND=smtp)["EMAIL_BACKEND"] == smtp
    run = (ROOT / "scripts" / "run.sh").read_text()
    assert "is written in full to $EMAIL_FILE_PATH/" in run
    assert "var/mail" in (ROOT / "README.md").read_text()


def test_a_mail_written_to_a_file_keeps_its_link_while_the_log_redacts_it(tmp_path, caplog):
    link = "http://127.0.0.1:8000/accounts/invitation/Zq8secret-token-42/"
    with override_settings(EMAIL_BACKEND=FILE_BACKEND, EMAIL_FILE_PATH=str(tmp_path)):
        mail.send_mail("Your invitation", f"Accept it here: {link}", "portal@localhost", ["new@example.org"])
    (written,) = tmp_path.iterdir()
    assert link in written.read_text()
    # The same link in a log line, as the console handler writes it (demo and production alike).
    record = logging.LogRecord("django.request", logging.WARNING, __file__, 1, "Bad Request: %s", (link,), None)
    for readable in (False, True):
        line = structured_formatter(json=readable).format(record)
        assert "Zq8secret-token-42" not in line and "/accounts/invitation/[redacted]" in line
