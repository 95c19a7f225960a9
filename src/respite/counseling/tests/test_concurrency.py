"""50 workers ask for the same slot at once: exactly one booking, 49 clear conflicts, no 5xx.

Runs against a real gunicorn server (two processes, many threads). On SQLite it uses a fresh
database file with the project's WAL/IMMEDIATE/busy_timeout settings; on PostgreSQL, the test
database itself.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys

import pytest
from django.db import connection

from respite.counseling.tests import concurrency_support as support

N = 50


def _check(results: list[tuple[int, str]]) -> None:
    statuses = sorted(s for s, _ in results)
    assert not [s for s in statuses if s >= 500], statuses
    assert statuses.count(302) == 1, statuses
    conflicts = [body for s, body in results if s == 409]
    assert len(conflicts) == N - 1, statuses
    assert all(
        "Someone else has just booked that time" in b or "no longer available" in b
        for b in conflicts
    )


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_fifty_simultaneous_bookings_of_one_slot(tmp_path):
    env = {**os.environ}
    if connection.vendor == "sqlite":
        db = tmp_path / "race.sqlite3"
        env["DATABASE_URL"] = f"sqlite:///{db}"
        prepared = subprocess.run(
            [sys.executable, "-m", "respite.counseling.tests.concurrency_support", str(N)],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert prepared.returncode == 0, prepared.stderr[-3000:]
        seeded = json.loads(prepared.stdout.strip().splitlines()[-1])
    else:
        settings_dict = connection.settings_dict
        env["DATABASE_URL"] = (
            f"postgres://{settings_dict['USER']}@{settings_dict['HOST']}:{settings_dict['PORT']}"
            f"/{settings_dict['NAME']}"
        )
        seeded = support.seed(N)
    port = support.free_port()
    server = support.start_server(env, port)
    try:
        results = support.race(port, seeded)
    finally:
        server.terminate()
        server.wait(timeout=30)
    _check(results)
    if connection.vendor == "sqlite":
        with sqlite3.connect(db) as raw:
            booked = raw.execute(
                "SELECT COUNT(*) FROM counseling_booking WHERE slot_id = ? AND status = 'booked'",
                [seeded["slot"]],
            ).fetchone()[0]
    else:
        from respite.counseling.models import Booking

        booked = Booking.objects.filter(slot_id=seeded["slot"], status="booked").count()
    assert booked == 1
