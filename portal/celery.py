"""The Celery application of the portal; tasks live in each app's tasks.py, and in the tasks.py of
each room of the foundation (tenants/<room>/tasks.py)."""

import json
import logging
import os
import sys
from datetime import UTC, datetime

from celery import Celery
from celery.apps import worker as celery_worker
from celery.apps.beat import Beat
from celery.apps.worker import Worker
from kombu.utils.objects import cached_property

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")


def _settings_or_exit() -> None:
    """A wrong setting stops a worker or beat with the line manage.py and portal.wsgi print: Celery
    reads its options from the settings while it parses its command line, where a refusal would
    come out as a traceback from inside click."""
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured

    try:
        settings.INSTALLED_APPS  # noqa: B018 - loads the settings
    except ImproperlyConfigured as refusal:
        raise SystemExit(f"The portal's settings are not complete: {refusal}") from None


def _json_logs() -> bool:
    from django.conf import settings

    return settings.LOG_FORMAT == "json"


def _say_as_json(message: str, stream=sys.__stderr__) -> None:
    """Celery's shutdown notices are written straight to a stream from its signal handlers (no
    logging there, whose locks a signal could find held): written the same way, as a JSON line."""
    line = {
        "event": message,
        "level": "warning",
        "logger": "celery.apps.worker",
        "timestamp": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
    }
    try:
        stream.write(json.dumps(line) + "\n")
        stream.flush()
    except OSError:
        pass


class PortalWorker(Worker):
    """With JSON logs, the banner (printed, not logged) is left out: the worker logs its broker and
    that it is ready as JSON lines, like everything it logs through LOGGING."""

    def on_before_init(self, quiet=False, **kwargs):
        if _json_logs():
            quiet = True
            celery_worker.safe_say = _say_as_json
            # Its warnings (running as root, say) as log records, so JSON lines too.
            logging.captureWarnings(True)
        super().on_before_init(quiet=quiet, **kwargs)


class PortalBeat(Beat):
    """As the worker: with JSON logs, beat's printed banner is left out (it logs its start)."""

    def __init__(self, *args, quiet: bool = False, **kwargs):
        super().__init__(*args, quiet=quiet or _json_logs(), **kwargs)


class PortalCelery(Celery):
    @cached_property
    def Worker(self):  # noqa: N802 - Celery's name
        return self.subclass_with_self(PortalWorker)

    @cached_property
    def Beat(self):  # noqa: N802 - Celery's name
        return self.subclass_with_self(PortalBeat)


_settings_or_exit()
app = PortalCelery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
app.autodiscover_tasks(["tenants.record", "tenants.keys", "tenants.jobs", "tenants.notifications", "tenants.identity"])


def _worker_refuses_without_its_gateway_key(**kwargs) -> None:
    """A worker seals upstream keys into the gateway's policies under GATEWAY_POLICY_KEY: with DEBUG
    off it does not start without it (the web does not need it, so the settings do not ask for it)."""
    from django.conf import settings

    if settings.DEBUG or settings.TESTING or settings.EMBEDDED:
        return
    from deployments import published

    try:
        published.gateway_key_load()
        published.gateway_key_fallbacks_load()
    except published.GatewayKeyMissing as missing:
        raise SystemExit(f"The worker will not start: {missing} (python scripts/generate_secrets.py makes the file).")


_level_warned = False


def _logging_from_settings(loglevel=None, **kwargs) -> None:
    """A worker and beat log as every process of the portal does: through LOGGING, at LOG_LEVEL.
    Celery would otherwise set the root logger to the level of its `-l` option (WARNING when none is
    given), over LOG_LEVEL; a receiver of `setup_logging` keeps it from touching logging at all."""
    import logging

    from django.conf import settings
    from django.utils.log import configure_logging

    global _level_warned
    configure_logging(settings.LOGGING_CONFIG, settings.LOGGING)
    asked = _level_asked_on_command_line(sys.argv)
    if asked and asked.upper() != settings.LOGGING["root"]["level"] and not _level_warned:
        _level_warned = True  # once, not again in each pool process
        logging.getLogger("portal.celery").warning(
            "The log level is LOG_LEVEL's (%s): the command line's -l %s is not used.",
            settings.LOGGING["root"]["level"],
            asked,
        )


def _level_asked_on_command_line(argv: list[str]) -> str | None:
    for position, argument in enumerate(argv):
        if argument in {"-l", "--loglevel"} and position + 1 < len(argv):
            return argv[position + 1]
        if argument.startswith("--loglevel="):
            return argument.split("=", 1)[1]
        if argument.startswith("-l") and len(argument) > 2:
            return argument[2:]
    return None


def _connect_worker_checks() -> None:
    from celery import signals

    signals.worker_init.connect(_worker_refuses_without_its_gateway_key, weak=False, dispatch_uid="portal-gateway-key")
    signals.setup_logging.connect(_logging_from_settings, weak=False, dispatch_uid="portal-logging")


_connect_worker_checks()
