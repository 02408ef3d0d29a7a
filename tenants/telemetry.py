"""Request ids and structured (JSON) logs, carried from a request into the jobs it causes.

Every request gets an id (the load balancer's `X-Request-ID` when it is a plain token, otherwise a
new one), answered in the same header and bound to every log line of the request. A job written to
the outbox during the request keeps the id on its row; the relay publishes it as a message header;
the worker binds it to every log line of the task. So one id follows a change from the click to
the mail it sent. Logs are JSON lines (structlog over the standard library's logging), one per
event, with no secret and no personal data in them."""

from __future__ import annotations

import logging
import re
import uuid
from contextvars import ContextVar

import structlog

REQUEST_ID_HEADER = "X-Request-ID"
_SANE = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
_request_id: ContextVar[str] = ContextVar("request_id", default="")
log = structlog.get_logger("portal.requests")


def current_request_id() -> str:
    return _request_id.get()


def request_id_bind(value: str) -> object:
    """Bind an id to this context (and its log lines); returns a token for request_id_reset."""
    structlog.contextvars.bind_contextvars(request_id=value)
    return _request_id.set(value)


def request_id_reset(token: object) -> None:
    _request_id.reset(token)
    structlog.contextvars.unbind_contextvars("request_id")


def request_id_from(header: str | None) -> str:
    """The caller's id when it is a plain token (so it cannot forge log lines), or a new one."""
    return header if header and _SANE.match(header) else uuid.uuid4().hex


class RequestIdMiddleware:
    """First in the chain: every later middleware, view and log line of the request sees the id."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = request_id_from(request.headers.get(REQUEST_ID_HEADER))
        request.request_id = request_id
        token = request_id_bind(request_id)
        try:
            response = self.get_response(request)
        finally:
            request_id_reset(token)
        response[REQUEST_ID_HEADER] = request_id
        return response


# --- Celery: the id travels as a message header ----------------------------------------------------


def _task_prerun(task=None, task_id=None, **kwargs) -> None:
    request = getattr(task, "request", None)
    request_id = getattr(request, "request_id", None) or (getattr(request, "headers", None) or {}).get("request_id")
    structlog.contextvars.clear_contextvars()
    structlog.contextvars.bind_contextvars(task=getattr(task, "name", ""), task_id=task_id)
    if request_id:
        _request_id.set(request_id)
        structlog.contextvars.bind_contextvars(request_id=request_id)
    structlog.get_logger("portal.tasks").info("task started")


def _task_postrun(**kwargs) -> None:
    structlog.contextvars.clear_contextvars()
    _request_id.set("")


def celery_signals_connect() -> None:
    from celery import signals

    signals.task_prerun.connect(_task_prerun, weak=False, dispatch_uid="portal-telemetry-prerun")
    signals.task_postrun.connect(_task_postrun, weak=False, dispatch_uid="portal-telemetry-postrun")


# --- Logging ---------------------------------------------------------------------------------------

# Addresses that carry a secret in their path: an invitation's token, an email confirmation's key,
# a password reset's key. Whoever reads the logs must not be able to use them: written as
# "[redacted]" in every log line (Django's "Bad Request: /accounts/invitation/…" included) and in
# gunicorn's access log (portal/access_log.py).
SECRET_IN_PATH = re.compile(r"(/accounts/(?:invitation|confirm-email|password/reset/key)/)[^/\s\"'?#]+")


def redact_secrets(text: str) -> str:
    return SECRET_IN_PATH.sub(r"\1[redacted]", text) if "/accounts/" in text else text


def _redact(logger, method_name, event_dict):
    for key, value in event_dict.items():
        if isinstance(value, str):
            event_dict[key] = redact_secrets(value)
    return event_dict


_SHARED = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
]


# A record of the standard library may carry fields of its own under this attribute (`extra=`):
# they become keys of its JSON line (gunicorn's access lines: portal/access_log.py).
FIELDS = "portal_fields"


def _record_fields(logger, method_name, event_dict):
    fields = getattr(event_dict.get("_record"), FIELDS, None)
    if isinstance(fields, dict):
        event_dict.update(fields)
    return event_dict


def structured_formatter(*, json: bool) -> logging.Formatter:
    """Every record as one JSON line (or a readable line in development), whoever wrote it: the
    portal through structlog, Django, Celery and gunicorn through the standard library."""
    renderer = structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer(colors=False)
    return structlog.stdlib.ProcessorFormatter(
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            _redact,
            renderer,
        ],
        foreign_pre_chain=[*_SHARED, _record_fields],
    )


def logging_config(*, level: str, json: bool) -> dict:
    """The LOGGING setting: every record (the portal's, Django's, Celery's, gunicorn's) as one JSON
    line, or as readable lines in development. Django's own handlers (its console in DEBUG, its
    development server's) are taken away: their records reach the root's handler like any other,
    so no line is written twice or in another form."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"structured": {"()": structured_formatter, "json": json}},
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "structured"}},
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            "django": {"handlers": [], "level": level, "propagate": True},
            "django.server": {"handlers": [], "propagate": True},
            "py.warnings": {"handlers": [], "propagate": True},
            "django.db.backends": {"level": "WARNING"},
        },
    }


def structlog_configure() -> None:
    structlog.configure(
        processors=[*_SHARED, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
