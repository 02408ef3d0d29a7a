"""No secret a path carries reaches a log: an invitation's token, an email confirmation's key, a
password reset's key are written "[redacted]", in the portal's JSON lines (Django's own "Bad
Request: <path>" included) and in gunicorn's access log."""

from __future__ import annotations

import json
import logging
from types import SimpleNamespace

import pytest

from portal.access_log import RedactingLogger
from tenants.telemetry import logging_config, redact_secrets

TOKEN = "eyJpIjoxfQ:1vxYz9:SECRETSIGNATURE"


@pytest.mark.parametrize(
    "path",
    [
        f"/accounts/invitation/{TOKEN}/",
        "/accounts/password/reset/key/3-cc7w6l-SECRETRESETKEY/",
        "/accounts/confirm-email/MQ:1vxYz9:SECRETCONFIRMKEY/",
    ],
)
def test_the_secret_in_a_path_is_redacted(path):
    redacted = redact_secrets(f"Bad Request: {path}")
    assert "SECRET" not in redacted and "[redacted]" in redacted
    assert redact_secrets("/c/fr/members/12/") == "/c/fr/members/12/"


def test_django_s_warning_with_the_path_is_written_redacted(capsys):
    config = logging_config(level="INFO", json=True)
    handler_config = config["handlers"]["console"]
    formatter = logging.config.dictConfigClass(config).configure_custom(dict(config["formatters"]["structured"]))
    handler = logging.StreamHandler()
    handler.setFormatter(formatter)
    assert handler_config["formatter"] == "structured"
    record = logging.LogRecord(
        "django.request", logging.WARNING, __file__, 1, "Bad Request: %s", (f"/accounts/invitation/{TOKEN}/",), None
    )
    line = json.loads(handler.format(record))
    assert line["event"] == "Bad Request: /accounts/invitation/[redacted]/"


def test_gunicorn_s_access_line_is_written_redacted():
    config = SimpleNamespace(
        errorlog="-",
        accesslog=None,
        loglevel="info",
        syslog=False,
        capture_output=False,
        logconfig=None,
        logconfig_dict={},
        logconfig_json=None,
        access_log_format="%(U)s %(r)s",
        user=0,
        group=0,
        umask=0,
        disable_redirect_access_to_syslog=False,
        syslog_addr="",
        syslog_prefix=None,
        syslog_facility="user",
        dogstatsd_tags="",
        statsd_host=None,
        statsd_prefix="",
    )
    logger = RedactingLogger(config)
    request = SimpleNamespace(
        headers=[],
        method="GET",
        path=f"/accounts/invitation/{TOKEN}/",
        query="",
        uri=f"/accounts/invitation/{TOKEN}/",
        version=(1, 1),
        peer_addr=("127.0.0.1", 5000),
    )
    response = SimpleNamespace(status="200 OK", headers=[], sent=10, response_length=10)
    environ = {
        "REMOTE_ADDR": "127.0.0.1",
        "PATH_INFO": request.path,
        "QUERY_STRING": "",
        "REQUEST_METHOD": "GET",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "RAW_URI": request.uri,
    }
    from datetime import timedelta

    atoms = logger.atoms(response, request, environ, timedelta(seconds=0.01))
    assert "SECRET" not in atoms["U"] and "SECRET" not in atoms["r"], atoms
    assert atoms["U"] == "/accounts/invitation/[redacted]/"
