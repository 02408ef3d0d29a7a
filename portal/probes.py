"""The probes' door: /healthz, /readyz and /metrics answered before anything reads the request's
host.

Kubernetes' probes and an in-cluster Prometheus call a pod by its IP address, so the Host header is
that address, never a name of ALLOWED_HOSTS; Django's host check (and the HTTPS redirect, which
reads the host too) would answer them 400 or 301, and the pods would never be ready. None of these
three answers builds a link from the host, which is what the host check protects, so they are
served here, before the middleware that reads it (only the request id and the metrics' count come
first, and neither reads the host). /metrics only for the bearer of its token: anyone else goes on
through the usual middleware, host check included, to the usual 404."""

from __future__ import annotations

from django.urls import resolve

from portal import metrics, views

PROBES = {"/healthz": views.healthz, "/readyz": views.readyz, "/metrics": metrics.metrics_view}


class ProbeMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        path = request.path_info
        view = PROBES.get(path) if request.method in ("GET", "HEAD") else None
        if view is None or (view is metrics.metrics_view and not metrics.authorised(request)):
            return self.get_response(request)
        request.resolver_match = resolve(path)  # counted under its route, as any request is
        return view(request)
