"""When Redis does not answer: a clear 503 to wait out, never a 500 (between the moment it goes and
the moment /readyz takes the replica out of the balancer, and for whatever is sent to it after).

Most of what reads Redis already carries on without it (sessions and access are read from the
database, jobs wait in the outbox). What cannot (counting sign-in attempts: none is let through
uncounted) raises the client's connection error; this turns it into a 503 with Retry-After, in
JSON for the API and as a page for people. The response being a 5xx, the request's transaction is
rolled back (tenants.middleware), so nothing half-done is kept."""

from __future__ import annotations

import logging

from django.http import HttpResponse, JsonResponse
from django.template import loader
from django.utils.translation import gettext as _

log = logging.getLogger(__name__)

RETRY_SECONDS = 30


def _away(exception: BaseException) -> bool:
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import TimeoutError as RedisTimeoutError

    return isinstance(exception, (RedisConnectionError, RedisTimeoutError))


class ServiceAwayMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not _away(exception):
            return None
        log.warning("Redis did not answer: %s answered 503", request.path_info, exc_info=exception)
        detail = _(
            "A part of the service is not answering for a moment; nothing you sent was changed. Try again in a minute."
        )
        if request.path_info.startswith("/api/"):
            response = JsonResponse({"detail": detail}, status=503)
        else:
            page = loader.get_template("503.html").render({"static_only": True, "detail": detail})
            response = HttpResponse(page, status=503)
        response["Retry-After"] = str(RETRY_SECONDS)
        return response
