"""First in MIDDLEWARE: answers the operations endpoints and measures every other request."""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import ExitStack
from typing import Any

from django.db import connections
from django.http import HttpRequest, HttpResponse

from respite.ops import metrics, views

# Exact paths, answered before SecurityMiddleware and CommonMiddleware: a load balancer probing
# http://10.0.0.5:8000/healthz must not get an HTTPS redirect or a 400 for an unlisted Host header.
ENDPOINTS: dict[str, tuple[str, Callable[[HttpRequest], HttpResponse]]] = {
    "/healthz": ("ops:healthz", views.healthz),
    "/readyz": ("ops:readyz", views.readyz),
    "/metrics": ("ops:metrics", views.metrics_view),
}


class _QueryTimer:
    """A database execute wrapper that adds up the time spent in queries during one request."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.count = 0

    def __call__(
        self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any
    ) -> Any:
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.seconds += time.perf_counter() - started
            self.count += 1


class OpsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        timer = _QueryTimer()
        endpoint = ENDPOINTS.get(request.path_info)
        with ExitStack() as stack:
            for conn in connections.all():
                stack.enter_context(conn.execute_wrapper(timer))
            if endpoint is not None:
                route, view = endpoint
                response = view(request)
            else:
                response = self.get_response(request)
                route = metrics.route_label(request)
        elapsed = time.perf_counter() - started
        metrics.REQUESTS.labels(
            route, metrics.method_label(request), str(response.status_code)
        ).inc()
        metrics.LATENCY.labels(route).observe(elapsed)
        if timer.count:
            metrics.DB_TIME.labels(route).inc(timer.seconds)
            metrics.DB_QUERIES.labels(route).inc(timer.count)
        return response
