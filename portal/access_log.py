"""gunicorn's logs in the portal's form: its own lines (start, workers, signals, errors) and its
access lines go through the portal's formatter (tenants.telemetry), one JSON object a line, without
the secrets some addresses carry (an invitation's token, a password reset's key). gunicorn.conf.py
names this logger class; the master process writes with it before any Django is loaded, so the
format is read from the environment as the settings read it (tenants.configuration)."""

from __future__ import annotations

import traceback

from gunicorn.glogging import Logger

from tenants.configuration import json_logs
from tenants.ids import digits
from tenants.telemetry import FIELDS, redact_secrets, structured_formatter


class RedactingLogger(Logger):
    def setup(self, cfg):
        super().setup(cfg)
        formatter = structured_formatter(json=json_logs())
        for log in (self.error_log, self.access_log):
            for handler in log.handlers:
                if getattr(handler, "_gunicorn", False):
                    handler.setFormatter(formatter)

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        for name in ("U", "r", "q", "f"):  # the path, the request line, the query, the referer
            if isinstance(atoms.get(name), str):
                atoms[name] = redact_secrets(atoms[name])
        return atoms

    def access(self, resp, req, environ, request_time):
        """One line a request, its fields as keys (never a JSON text built by formatting, which a
        quote, a tab or a backslash in a path or a user agent would break)."""
        if not self.access_log_enabled:
            return
        atoms = self.atoms(resp, req, environ, request_time)
        status = atoms["s"]
        fields = {
            "remote": atoms["h"],
            "method": atoms["m"],
            "path": atoms["U"],
            "status": status if digits(status) is None else digits(status),
            "bytes": atoms["B"],
            "duration_us": atoms["D"],
            "request_id": atoms.get("{x-request-id}o", ""),
            "user_agent": atoms["a"],
        }
        try:
            self.access_log.info("request", extra={FIELDS: fields})
        except Exception:  # noqa: BLE001 - as gunicorn's own: a log line never fails a request
            self.error(traceback.format_exc())
