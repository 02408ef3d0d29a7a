"""A wrong setting stops a gateway replica with one line naming the variable and what it expects,
read as the portal reads its own settings (tenants.configuration): never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("name", "value", "said"),
    [
        ("GATEWAY_PORT", "eighty", "GATEWAY_PORT must be a whole number, not 'eighty'."),
        ("GATEWAY_WORKERS", "2.5", "GATEWAY_WORKERS must be a whole number, not '2.5'."),
        ("GATEWAY_LEASE_SECONDS", "-5", "GATEWAY_LEASE_SECONDS must be a whole number of at least 0, not -5."),
        ("GATEWAY_READ_TIMEOUT", "long", "GATEWAY_READ_TIMEOUT must be a number (seconds, such as 0.5), not 'long'."),
        ("GATEWAY_REDIS_TIMEOUT", "0", "GATEWAY_REDIS_TIMEOUT must be more than 0 and at most 60 seconds, not '0'."),
        ("GATEWAY_BODY_TIMEOUT", "0", "GATEWAY_BODY_TIMEOUT must be more than 0 and at most 3600 seconds, not '0'."),
        ("GATEWAY_CLIENT_CONNECTIONS", "0", "GATEWAY_CLIENT_CONNECTIONS must be a whole number of at least 1, not 0."),
        ("DEBUG", "maybe", "DEBUG must be true or false, not 'maybe'."),
    ],
)
def test_a_wrong_setting_stops_the_replica_with_one_line(name, value, said):
    env = {**os.environ, name: value}
    result = subprocess.run(
        [sys.executable, "-m", "gateway", "--port", "0"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 1
    assert result.stderr.strip() == said, result.stderr
