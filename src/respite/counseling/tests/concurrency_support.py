"""Helpers for the booking race test: seed data, run a real multi-threaded server, fire requests.

Run as a script (``python -m respite.counseling.tests.concurrency_support PATH N``) it migrates a
fresh SQLite file and seeds it, printing the seed as JSON: the SQLite race must run against a file
database in WAL mode with real concurrent connections, not the shared in-memory test database.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import threading
import time
from urllib.parse import urlencode

from respite.core.urlseal import seal

CSRF = "a" * 16 + "B" * 16  # an unmasked 32-character CSRF secret, sent as cookie and form field


def seed(n: int) -> dict:
    from datetime import timedelta

    from django.contrib.sessions.backends.db import SessionStore
    from django.utils import timezone

    from respite.core import privacy
    from respite.core.models import Organization
    from respite.core.testing import make_user
    from respite.counseling.models import Clinician, Slot
    from respite.screening.views import SESSION_CODE

    org, _ = Organization.objects.get_or_create(
        slug="race", defaults={"name": "Race Clinic", "state": "CA"}
    )
    user = make_user(f"race-therapist-{time.time_ns()}")
    clinician = Clinician.objects.create(
        user=user,
        display_name="Dr Race",
        licence_type="lcsw",
        states=["CA"],
        licence_number="R-1",
        languages=["en"],
        modalities=["video"],
        verified_at=timezone.now(),
    )
    start = (timezone.now() + timedelta(days=1)).replace(second=0, microsecond=0)
    slot = Slot.objects.create(
        clinician=clinician, starts_at=start, ends_at=start + timedelta(minutes=50)
    )
    sessions = []
    for _ in range(n):
        code = privacy.new_access_code(org)[1]
        store = SessionStore()
        store[SESSION_CODE] = str(code.pk)
        store.create()
        sessions.append(store.session_key)
    return {"org": org.slug, "slot": slot.pk, "sessions": sessions}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(env: dict, port: int) -> subprocess.Popen:
    """gunicorn with two processes and enough threads for every request at once."""
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "respite.wsgi:application",
            "-b",
            f"127.0.0.1:{port}",
            "-w",
            "2",
            "-k",
            "gthread",
            "--threads",
            "30",
            "--preload",
            "--log-level",
            "warning",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            stderr = proc.stderr.read().decode() if proc.stderr else ""
            raise RuntimeError(f"server exited: {stderr[-2000:]}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/crisis/")
            if conn.getresponse().status == 200:
                return proc
        except OSError:
            time.sleep(0.3)
    proc.kill()
    raise RuntimeError("server did not start")


def race(port: int, seeded: dict) -> list[tuple[int, str]]:
    """Every worker POSTs the same slot at the same moment. Returns (status, body) per request."""
    path = f"/o/{seeded['org']}/counseling/therapists/slots/{seal(seeded['slot'])}/book/"
    barrier = threading.Barrier(len(seeded["sessions"]))
    results: list[tuple[int, str]] = [(0, "")] * len(seeded["sessions"])

    def one(i: int, session_key: str) -> None:
        body = urlencode(
            {
                "state": "CA",
                "contact_method": "text",
                "contact": f"555 010 {i:04d}",
                "csrfmiddlewaretoken": CSRF,
            }
        )
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        conn.connect()
        barrier.wait()
        conn.request(
            "POST",
            path,
            body=body,
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Cookie": f"sessionid={session_key}; csrftoken={CSRF}",
            },
        )
        response = conn.getresponse()
        results[i] = (response.status, response.read().decode("utf-8", "replace"))

    threads = [
        threading.Thread(target=one, args=(i, key)) for i, key in enumerate(seeded["sessions"])
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(90)
    return results


def _prepare_sqlite(n: int) -> None:
    # Migrating with synchronous=OFF only to save time; the server under test uses the real settings.
    import importlib

    settings_module = importlib.import_module(os.environ["DJANGO_SETTINGS_MODULE"])
    settings_module.DATABASES["default"]["OPTIONS"]["init_command"] = (
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=OFF;"
    )
    import django
    from django.core.management import call_command

    django.setup()
    # peers too: every portal page asks core.services whether peer support exists.
    for app in ("contenttypes", "auth", "sessions", "core", "screening", "counseling", "peers"):
        call_command("migrate", app, verbosity=0)
    print(json.dumps(seed(n)))


if __name__ == "__main__":
    _prepare_sqlite(int(sys.argv[1]))
