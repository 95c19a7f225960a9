"""Prometheus metrics: request counts and latencies by route name, database time, task queue state.

Labels come only from the code, never from a request: the route label is the URL pattern's *name*
(``screening:result``), not the path, so no id, access code, token or search text can reach a label;
the method label is one of a fixed set; the status is a number. Cardinality is bounded by the URLconf.

Under gunicorn each worker process counts its own requests. Set ``PROMETHEUS_MULTIPROC_DIR`` to an
empty directory (the systemd unit uses its RuntimeDirectory) and prometheus_client keeps the counts in
shared files that every worker's /metrics sums; without it, figures are per process.
"""

from __future__ import annotations

import os

from django.http import HttpRequest
from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)

from respite.ops.queue import QueueCollector

_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

REQUESTS = Counter(
    "respite_http_requests",
    "HTTP requests answered, by route name, method and status.",
    ["route", "method", "status"],
)
LATENCY = Histogram(
    "respite_http_request_duration_seconds",
    "Time to answer a request, by route name.",
    ["route"],
    buckets=_BUCKETS,
)
DB_TIME = Counter(
    "respite_db_query_duration_seconds", "Time spent in database queries, by route name.", ["route"]
)
DB_QUERIES = Counter("respite_db_queries", "Database queries run, by route name.", ["route"])

# Figures read from the database at scrape time (the task queue), the same from every process.
LIVE_REGISTRY = CollectorRegistry()  # no auto_describe: that would query the database at import
LIVE_REGISTRY.register(QueueCollector())


def route_label(request: HttpRequest) -> str:
    """The matched URL pattern's name; "unmatched" when no pattern matched (404s, redirects, 400s)."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        return "unmatched"
    # view_name is "namespace:name", or the view's dotted path for an unnamed pattern: code either way.
    return match.view_name or "unnamed"


def method_label(request: HttpRequest) -> str:
    # Any token is a valid HTTP method; an unknown one must not become a new label value.
    method = request.method or ""
    return method if method in _METHODS else "other"


def multiprocess_mode() -> bool:
    return bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))


def exposition() -> bytes:
    if multiprocess_mode():
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    return generate_latest(registry) + generate_latest(LIVE_REGISTRY)
