"""Helpers for tests that run real servers: free ports, gunicorn in a subprocess, a TCP relay."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[4]
START_TIMEOUT = 90  # seconds; the machine is shared and slow


def free_port() -> int:
    with contextlib.closing(socket.socket()) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def postgres_reachable(host: str = "127.0.0.1", port: int = 5432) -> bool:
    try:
        with socket.create_connection((host, port), timeout=2):
            return True
    except OSError:
        return False


def server_env(**extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE", "REDIS_URL"}
    }
    env.update(DJANGO_SETTINGS_MODULE="respite.settings", PYTHONPATH=str(ROOT / "src"))
    env.update(extra)
    return env


def get(url: str, timeout: float = 30, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers=headers or {})  # noqa: S310 - loopback test servers only
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


class Gunicorn:
    """respite.wsgi under gunicorn on a free loopback port, in its own process group."""

    def __init__(self, env: dict[str, str], log: Path, workers: int = 1, threads: int = 2):
        self.port = free_port()
        self.log = log
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "respite.wsgi:application",
                "-b",
                f"127.0.0.1:{self.port}",
                "-w",
                str(workers),
                "--threads",
                str(threads),
                "--graceful-timeout",
                "2",
                "--timeout",
                "120",
            ],
            env=env,
            stdout=log.open("ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
            cwd=ROOT,
        )
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                break
            try:
                if get(f"{self.url}/healthz", timeout=5)[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"gunicorn did not start: {log.read_text()[-3000:]}")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=30)


class Relay:
    """A TCP relay on a loopback port to a target; cut() drops every connection and stops listening,
    as if the target went down; restore() listens again on the same port."""

    def __init__(self, target: tuple[str, int]):
        self.target = target
        self.port = free_port()
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._listener: socket.socket | None = None
        self.restore()

    def restore(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def cut(self) -> None:
        with self._lock:
            if self._listener is not None:
                with contextlib.suppress(OSError):
                    self._listener.shutdown(socket.SHUT_RDWR)
                self._listener.close()
                self._listener = None
            for s in self._sockets:
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)
                s.close()
            self._sockets.clear()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target, timeout=10)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            with self._lock:
                self._sockets += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            with contextlib.suppress(OSError):
                sink.shutdown(socket.SHUT_WR)


@dataclass
class Routed:
    """One client connection as the balancer saw it."""

    client_port: int
    backend: int  # index into Balancer.backends
    opened: float  # time.monotonic()
    closed: float | None = None


class Balancer:
    """A small round-robin TCP load balancer on loopback, like a proxy in front of app servers.

    Each client connection goes to the next backend; a backend that refuses the connection (a dead
    server) is skipped, as nginx's ``proxy_next_upstream error`` does. It records which backend served
    each client port, so a test can tell a dead server's in-flight requests from everyone else's."""

    def __init__(self, backends: list[int]):
        self.backends = backends
        self.port = free_port()
        self.routed: dict[
            int, list[Routed]
        ] = {}  # by client port (ports are reused over a long run)
        self._next = 0
        self._lock = threading.Lock()
        self._listener = socket.socket()
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", self.port))
        self._listener.listen(256)
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._listener.close()

    def _accept(self) -> None:
        while True:
            try:
                client, (_host, client_port) = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client, client_port), daemon=True).start()

    def _connect(self) -> tuple[int, socket.socket] | None:
        with self._lock:
            start = self._next
            self._next = (self._next + 1) % len(self.backends)
        for step in range(len(self.backends)):
            index = (start + step) % len(self.backends)
            try:
                return index, socket.create_connection(("127.0.0.1", self.backends[index]), 10)
            except OSError:
                continue
        return None

    def _serve(self, client: socket.socket, client_port: int) -> None:
        chosen = self._connect()
        if chosen is None:
            client.close()
            return
        index, upstream = chosen
        upstream.settimeout(None)
        record = Routed(client_port, index, time.monotonic())
        with self._lock:
            self.routed.setdefault(client_port, []).append(record)
        pumps = [
            threading.Thread(target=Relay._pump, args=(a, b), daemon=True)
            for a, b in ((client, upstream), (upstream, client))
        ]
        for pump in pumps:
            pump.start()
        for pump in pumps:
            pump.join()
        record.closed = time.monotonic()
        for s in (client, upstream):
            with contextlib.suppress(OSError):
                s.close()
