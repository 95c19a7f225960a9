"""/healthz, /readyz and /metrics. Bodies carry a status word and nothing else: no versions, host names,
dependency names or error text, which would help an attacker more than an operator (the reason for a
failure is in the server log)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from prometheus_client import CONTENT_TYPE_LATEST

from respite.ops import access, metrics, probes


def _status(word: str, status: int = 200) -> HttpResponse:
    response = HttpResponse(f"{word}\n", status=status, content_type="text/plain; charset=utf-8")
    return _headers(response)


def _headers(response: HttpResponse) -> HttpResponse:
    # These responses skip SecurityMiddleware (see OpsMiddleware), so set its one relevant header here.
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _method_not_allowed() -> HttpResponse:
    response = _status("method not allowed", 405)
    response["Allow"] = "GET, HEAD"
    return response


def healthz(request: HttpRequest) -> HttpResponse:
    """The process answers. Nothing else is checked: a liveness probe must not fail for a database outage."""
    if request.method not in ("GET", "HEAD"):
        return _method_not_allowed()
    return _status("ok")


def readyz(request: HttpRequest) -> HttpResponse:
    """The database (and a shared cache, and the task queue, when configured) can be used right now."""
    if request.method not in ("GET", "HEAD"):
        return _method_not_allowed()
    if probes.ready():
        return _status("ok")
    return _status("unavailable", 503)


def metrics_view(request: HttpRequest) -> HttpResponse:
    if not access.metrics_enabled():
        return _status("not found", 404)
    if request.method not in ("GET", "HEAD"):
        return _method_not_allowed()
    if not (access.token_matches(request) or access.address_allowed(request)):
        response = _status("unauthorized", 401)
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    return _headers(HttpResponse(metrics.exposition(), content_type=CONTENT_TYPE_LATEST))
