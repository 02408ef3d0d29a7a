"""The Celery application of the portal; tasks live in each app's tasks.py, and in the tasks.py of
each room of the foundation (tenants/<room>/tasks.py)."""

import os

from celery import Celery

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


_settings_or_exit()
app = Celery("portal")
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
    except published.GatewayKeyMissing as missing:
        raise SystemExit(f"The worker will not start: {missing} (python scripts/generate_secrets.py makes the file).")


def _connect_worker_checks() -> None:
    from celery import signals

    signals.worker_init.connect(_worker_refuses_without_its_gateway_key, weak=False, dispatch_uid="portal-gateway-key")


_connect_worker_checks()
