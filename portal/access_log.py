"""gunicorn's access log without the secrets some addresses carry (an invitation's token, a
password reset's key): gunicorn.conf.py names this logger class."""

from __future__ import annotations

from gunicorn.glogging import Logger

from tenants.telemetry import redact_secrets


class RedactingLogger(Logger):
    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        for name in ("U", "r", "q", "f"):  # the path, the request line, the query, the referer
            if isinstance(atoms.get(name), str):
                atoms[name] = redact_secrets(atoms[name])
        return atoms
