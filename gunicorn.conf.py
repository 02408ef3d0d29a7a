"""gunicorn's settings for the portal, read from the environment (gunicorn loads this file from the
working directory by itself; options given on the command line, as `make run` does, win).

Timeouts: a request that takes longer than GUNICORN_TIMEOUT is killed and its worker replaced; long
work belongs to the Celery workers. Access log lines go to standard output with the request id,
as JSON like every other line (portal/access_log.py)."""

import os
import shutil
import sys

from django.core.exceptions import ImproperlyConfigured

from tenants.configuration import env_int, log_level

try:
    bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
    workers = env_int("GUNICORN_WORKERS", 3, minimum=1)
    threads = env_int("GUNICORN_THREADS", 4, minimum=1)
    timeout = env_int("GUNICORN_TIMEOUT", 60)
    graceful_timeout = env_int("GUNICORN_GRACEFUL_TIMEOUT", 30)
    keepalive = env_int("GUNICORN_KEEPALIVE", 5)
    # Recycle workers now and then, so that a slow leak never grows for days.
    max_requests = env_int("GUNICORN_MAX_REQUESTS", 2000)
    max_requests_jitter = env_int("GUNICORN_MAX_REQUESTS_JITTER", 200)
    loglevel = log_level().lower()
except ImproperlyConfigured as refusal:
    # As manage.py and portal.wsgi say it: one line to act on, not gunicorn's traceback of this file.
    sys.exit(f"The portal's settings are not complete: {refusal}")
# Heartbeat files in memory, not on a container's overlay disk (which can stall a worker).
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
# gunicorn's control socket (for `gunicornc`) is off: by default it lives in $HOME/.gunicorn, which
# the image's unprivileged user cannot write, and every server of a host would share that one path.
control_socket_disable = True
# Proxies whose X-Forwarded-* headers are believed (the load balancer's addresses).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
accesslog = "-"
errorlog = "-"
# gunicorn's own lines and its access lines as the portal's (one JSON object a line, LOG_FORMAT),
# the access line's fields as keys, without the secrets some paths carry (invitation tokens,
# password reset keys).
logger_class = "portal.access_log.RedactingLogger"

# Prometheus metrics from every worker process, added up at /metrics (portal.metrics): each process
# writes its own files in this folder, emptied at start and of a worker's files when it exits.
metrics_dir = os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", f"/tmp/portal-metrics-{os.getpid()}")


def on_starting(server):
    shutil.rmtree(metrics_dir, ignore_errors=True)
    os.makedirs(metrics_dir, exist_ok=True)


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
