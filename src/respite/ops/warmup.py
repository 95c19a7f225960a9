"""Warm-up requests served inside the gunicorn master before it forks its workers.

With ``preload_app`` (``respite.gunicorn_conf``) the master imports the application once; these GET
requests then load everything a first visitor would otherwise pay for in each new worker: the
template engine and compiled templates, translation catalogs, the directory's numpy ranking index and
embedding model, chart and PDF code paths are left out (rare, and imported where used). Workers are
forked with all of it in memory, shared copy-on-write.

The requests are read-only GETs through the real WSGI application (every middleware), never logged
in as anyone, and failures are reported, never fatal: a server must start even if a page is broken.
"""

from __future__ import annotations

import contextlib
import io
import logging
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import quote

log = logging.getLogger("respite.ops.warmup")

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def warm_up_paths() -> list[str]:
    """The pages every worker serves soon after it starts, for the first organization if any."""
    from respite.core.models import Organization

    paths = ["/", "/crisis/"]
    org = Organization.objects.order_by("pk").values_list("slug", flat=True).first()
    if org:
        paths += [f"/o/{org}/check-in/", f"/o/{org}/directory/?q=sleep"]
    return paths


def _host() -> str:
    """The first real host name the site answers to (production refuses any other)."""
    from django.conf import settings

    return next((h.lstrip(".") for h in settings.ALLOWED_HOSTS if h not in ("*", "")), "localhost")


def _environ(path: str) -> dict[str, Any]:
    host = _host()
    path_info, _sep, query = path.partition("?")
    return {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path_info,
        "QUERY_STRING": query,
        "SCRIPT_NAME": "",
        "SERVER_NAME": host,
        "SERVER_PORT": "443",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": host,
        "HTTP_ACCEPT": "text/html",
        "HTTP_ACCEPT_LANGUAGE": "en",
        # Behind the TLS proxy production expects (SECURE_PROXY_SSL_HEADER): no redirect to https.
        "HTTP_X_FORWARDED_PROTO": "https",
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "https",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }


def _through_gunicorn(cfg: Any, application: WSGIApp, path: str) -> tuple[int, int]:
    """Serve ``path`` as a worker serves a visitor: raw HTTP over a local socket pair, read by
    gunicorn's own request parser and WSGI environ builder, the page written by gunicorn's response.
    Returns the status and the number of bytes the visitor received.

    Warming only the application left a fresh worker's first visitor paying for gunicorn's side: its
    parser's first run (an import probe for an optional C parser, untouched pages copied after the
    fork), about four times the cost of the page itself (issue 19)."""
    from gunicorn.http import RequestParser
    from gunicorn.http.wsgi import create

    head = (
        f"GET {quote(path, safe='/?=&%')} HTTP/1.1\r\nHost: {_host()}\r\n"
        "Accept: text/html\r\nAccept-Language: en\r\nX-Forwarded-Proto: https\r\n"
        "Connection: close\r\n\r\n"
    )
    visitor, worker_end = socket.socketpair()
    # Never wait for ever: a server must start even if this request goes wrong.
    visitor.settimeout(_SOCKET_TIMEOUT_S)
    worker_end.settimeout(_SOCKET_TIMEOUT_S)
    received = [0]
    # The visitor reads the page as it is written: a page larger than the socket's buffer must not
    # block the writer.
    reader = threading.Thread(target=_drain, args=(visitor, received), daemon=True)
    with visitor, worker_end:
        visitor.sendall(head.encode("ascii"))
        reader.start()
        try:
            peer = ("127.0.0.1", 0)  # a trusted proxy's address: its X-Forwarded-Proto is believed
            request = next(iter(RequestParser(cfg, worker_end, peer)))
            response, wsgi_environ = create(request, worker_end, peer, ("127.0.0.1", 443), cfg)
            body = application(wsgi_environ, response.start_response)
            try:
                for chunk in body:
                    response.write(chunk)
                response.close()
            finally:
                _close(body)
        finally:
            worker_end.shutdown(socket.SHUT_WR)  # the visitor's end of file, however it went
            reader.join(timeout=_SOCKET_TIMEOUT_S)
    return int(response.status_code or 0), received[0]


_SOCKET_TIMEOUT_S = 60


def _drain(sock: socket.socket, received: list[int]) -> None:
    with contextlib.suppress(OSError):  # a timeout or a closed socket: the writer reports it
        while chunk := sock.recv(65536):
            received[0] += len(chunk)


def _direct(application: WSGIApp, path: str) -> int:
    status = [0]

    def start_response(line: str, headers: list, exc_info: Any = None) -> None:
        status[0] = int(line.split(" ", 1)[0])

    body = application(_environ(path), start_response)
    try:
        for _chunk in body:
            pass
    finally:
        _close(body)
    return status[0]


def _close(body: Iterable[bytes]) -> None:
    """WSGI: the server calls the body's ``close()`` when it has one, whatever happened."""
    close = getattr(body, "close", None)
    if close is not None:
        close()


def warm_up(
    application: WSGIApp,
    paths: list[str] | None = None,
    *,
    close_connections: bool = True,
    gunicorn_cfg: Any = None,
) -> list[tuple[str, int, float]]:
    """Serve each path once; returns (path, status, milliseconds). In the master, closes the
    database connections afterwards, so no forked worker shares the master's connection.

    With ``gunicorn_cfg`` (the server's configuration) each request goes through gunicorn's own HTTP
    code too, as a visitor's would; without it, the WSGI application is called directly."""
    from django.db import connections

    results: list[tuple[str, int, float]] = []
    try:
        for path in paths if paths is not None else warm_up_paths():
            started = time.perf_counter()
            status = 0
            try:
                if gunicorn_cfg is not None:
                    status, _received = _through_gunicorn(gunicorn_cfg, application, path)
                else:
                    status = _direct(application, path)
            except Exception:  # a broken page must not stop the server from starting
                log.exception("warm-up request failed: %s", path)
            results.append((path, status, round((time.perf_counter() - started) * 1000, 1)))
    except Exception:
        log.exception("warm-up failed")
    finally:
        if close_connections:
            connections.close_all()
    return results
