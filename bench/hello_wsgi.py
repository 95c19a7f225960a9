"""The ceiling for bench_http: the smallest WSGI app, served by the same gunicorn configuration as Respite.

Every HTTP scenario is reported as a ratio to this app's throughput measured in the same run, so the
numbers stay comparable across machines.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

BODY = b"Hello, world!\n"
HEADERS = [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(BODY)))]


def application(environ: dict, start_response: Callable) -> Iterable[bytes]:
    start_response("200 OK", HEADERS)
    return [BODY]
