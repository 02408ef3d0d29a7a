"""Prometheus metrics at `/metrics`, for the monitoring system only (METRICS_TOKEN as a bearer
token, or one it replaced while its window is open; without a token configured the endpoint answers
404 to everyone).

- Requests and latency by route (the URL pattern, never the path, so ids do not explode the
  series) and the database time of each request: prometheus-client counters and histograms, shared
  by gunicorn's worker processes through PROMETHEUS_MULTIPROC_DIR (gunicorn.conf.py).
- Task runs and failures: counted by the workers in Redis (they run on other hosts), read at scrape.
- Outbox depth, the age of the oldest job waiting, and the last ledger verification's result and
  time: read from the database at scrape.
- The broker's queue depth and how long ago a worker last ran the outbox relay: read from Redis at
  scrape (workers down or stuck show here, while the outbox itself stays empty).
- Whether the database and Redis answered the scrape (portal_database_up, portal_redis_up): one
  that does not is reported as down, and the scrape still answers."""

from __future__ import annotations

import hmac
import logging
import os
import time

from django.conf import settings
from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest, multiprocess
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
REQUESTS = Counter("portal_http_requests_total", "HTTP requests answered", ["route", "method", "status"])
LATENCY = Histogram("portal_http_request_seconds", "Time to answer a request", ["route"], buckets=_BUCKETS)
DB_TIME = Histogram("portal_http_request_db_seconds", "Database time within a request", ["route"], buckets=_BUCKETS)
TASKS_KEY = "metrics:tasks"
log = logging.getLogger(__name__)


def _route(request: HttpRequest) -> str:
    match = getattr(request, "resolver_match", None)
    if match is None:
        return "unmatched"
    return match.route or match.view_name or "unnamed"


class MetricsMiddleware:
    """Counts every request by route, method and status, with its time and its database time."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started, db = time.perf_counter(), [0.0]

        def timed(execute, sql, params, many, context):
            began = time.perf_counter()
            try:
                return execute(sql, params, many, context)
            finally:
                db[0] += time.perf_counter() - began

        with connection.execute_wrapper(timed):
            response = self.get_response(request)
        route = _route(request)
        method = request.method if request.method in KNOWN_METHODS else "other"  # a client's word makes no series
        REQUESTS.labels(route, method, str(response.status_code)).inc()
        LATENCY.labels(route).observe(time.perf_counter() - started)
        DB_TIME.labels(route).observe(db[0])
        return response


# --- Tasks: counted by the workers in Redis --------------------------------------------------------


def _redis():
    import redis

    return redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1.0, socket_timeout=1.0)


def _tasks_key() -> str:
    return f"{settings.CACHES['default'].get('KEY_PREFIX') or 'portal'}:{TASKS_KEY}"


def task_outcome_count(task: str, outcome: str) -> None:
    if settings.EMBEDDED:
        return
    try:
        client = _redis()
        try:
            client.hincrby(_tasks_key(), f"{task}|{outcome}", 1)
        finally:
            client.close()
    except Exception:  # noqa: BLE001 - a metric never fails a job
        pass


def _on_success(sender=None, **kwargs) -> None:
    task_outcome_count(getattr(sender, "name", "?"), "success")


def _on_failure(sender=None, **kwargs) -> None:
    task_outcome_count(getattr(sender, "name", "?"), "failure")


def _on_retry(sender=None, **kwargs) -> None:
    task_outcome_count(getattr(sender, "name", "?"), "retry")


def celery_signals_connect() -> None:
    from celery import signals

    signals.task_success.connect(_on_success, weak=False, dispatch_uid="portal-metrics-success")
    signals.task_failure.connect(_on_failure, weak=False, dispatch_uid="portal-metrics-failure")
    signals.task_retry.connect(_on_retry, weak=False, dispatch_uid="portal-metrics-retry")


# --- Read at scrape --------------------------------------------------------------------------------


class StateCollector:
    """What the database and Redis say at the moment of the scrape. Each is asked apart, and one
    that does not answer is reported as down (portal_database_up, portal_redis_up) with its own
    series left out: the scrape itself never fails, least of all during an incident."""

    def collect(self):
        yield from self._database()
        yield from self._redis()

    def _database(self):
        from django.utils import timezone

        from tenants.jobs.outbox import outbox_oldest_pending_at, outbox_pending_count
        from tenants.record.models import PlatformEvent

        try:
            pending, oldest = outbox_pending_count(), outbox_oldest_pending_at()
            last = PlatformEvent.objects.filter(action="ledger.verified").order_by("-sequence").first()
        except Exception as error:  # noqa: BLE001 - a database that does not answer is the finding
            log.warning("metrics: the database did not answer (%s)", type(error).__name__)
            yield GaugeMetricFamily("portal_database_up", "1 if the database answered the scrape", value=0)
            return
        yield GaugeMetricFamily("portal_database_up", "1 if the database answered the scrape", value=1)
        yield GaugeMetricFamily("portal_outbox_pending", "Jobs not yet handed to the broker", value=pending)
        yield GaugeMetricFamily(
            "portal_outbox_oldest_pending_seconds",
            "Age of the oldest job not yet handed to the broker (0: none waits)",
            value=0 if oldest is None else (timezone.now() - oldest).total_seconds(),
        )
        yield GaugeMetricFamily(
            "portal_ledger_verification_ok",
            "1 if the last verification of every chain found no break, 0 if it found one, -1 if none ran",
            value=-1 if last is None else int(bool(last.payload.get("ok"))),
        )
        yield GaugeMetricFamily(
            "portal_ledger_verification_timestamp_seconds",
            "When the last verification of every chain ran (Unix time; 0: never)",
            value=0 if last is None else last.at.timestamp(),
        )

    def _redis(self):
        if settings.EMBEDDED:
            return
        from tenants.jobs.health import relay_heartbeat_age

        try:
            client = _redis()
            try:
                counts = client.hgetall(_tasks_key())
                waiting = _broker_depth(client)
            finally:
                client.close()
            relay_age = relay_heartbeat_age()
        except Exception as error:  # noqa: BLE001
            log.warning("metrics: Redis did not answer (%s)", type(error).__name__)
            yield GaugeMetricFamily("portal_redis_up", "1 if Redis answered the scrape", value=0)
            return
        yield GaugeMetricFamily("portal_redis_up", "1 if Redis answered the scrape", value=1)
        yield GaugeMetricFamily(
            "portal_broker_jobs_waiting",
            "Jobs handed to the broker that no worker has taken yet (grows while workers are down or behind)",
            value=waiting,
        )
        yield GaugeMetricFamily(
            "portal_outbox_relay_age_seconds",
            "Seconds since a worker last ran the outbox relay (every 10 s when workers and beat run; -1: never)",
            value=-1 if relay_age is None else relay_age,
        )
        runs = CounterMetricFamily(
            "portal_task_runs", "Task runs by outcome (success, failure, retry)", labels=["task", "outcome"]
        )
        for field, value in sorted(counts.items()):
            task, _, outcome = field.decode().rpartition("|")
            runs.add_metric([task, outcome], int(value))
        yield runs


def _broker_depth(client) -> int:
    """The jobs in the broker's queue: Celery's Redis transport keeps a queue as a list under its
    name (and, for priorities, under the name with a separator and the priority)."""
    queue = settings.CELERY_TASK_DEFAULT_QUEUE
    names = [queue, *(f"{queue}\x06\x16{priority}" for priority in range(1, 10))]
    with client.pipeline(transaction=False) as pipe:
        for name in names:
            pipe.llen(name)
        return sum(pipe.execute())


def _registry() -> CollectorRegistry:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = CollectorRegistry()
        for collector in (REQUESTS, LATENCY, DB_TIME):
            registry.register(collector)
    registry.register(StateCollector())
    return registry


def accepted_tokens() -> list[str]:
    """METRICS_TOKEN, and the tokens it replaced while their window is open (METRICS_TOKEN_FALLBACKS,
    until METRICS_TOKEN_FALLBACKS_UNTIL if set): a scraper not yet given the new one goes on."""
    token = settings.METRICS_TOKEN
    if not token:
        return []
    until = settings.METRICS_TOKEN_FALLBACKS_UNTIL
    open_window = until is None or timezone.now() < until
    return [token, *(settings.METRICS_TOKEN_FALLBACKS if open_window else [])]


def authorised(request: HttpRequest) -> bool:
    given = request.headers.get("Authorization", "").encode()
    found = False
    for token in accepted_tokens():  # every one compared, whichever matches
        found |= hmac.compare_digest(given, f"Bearer {token}".encode())
    return found


@never_cache
def metrics_view(request: HttpRequest) -> HttpResponse:
    """The metrics, for the bearer of METRICS_TOKEN only; 404 to anyone else, as if absent."""
    if not authorised(request):
        raise Http404
    return HttpResponse(generate_latest(_registry()), content_type=CONTENT_TYPE_LATEST)
