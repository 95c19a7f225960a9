"""Reliability on the embedded SQLite database, against a real gunicorn server in a subprocess.

- kill -9 under a submission load loses no acknowledged submission and leaves an intact database;
- an online backup taken under write load is a consistent snapshot that restores to an identical export;
- 100 concurrent writers see no "database is locked".
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from contextlib import closing
from pathlib import Path

import pytest

from respite.ops.tests.helpers import ROOT, Gunicorn, server_env


def _suite_on_sqlite() -> bool:
    from django.conf import settings

    return settings.DATABASES["default"]["ENGINE"].endswith("sqlite3")


# These tests start their own servers on their own SQLite files; the PostgreSQL run of the suite skips
# them rather than repeat them.
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not _suite_on_sqlite(), reason="SQLite reliability checks"),
]


def _env(db: Path) -> dict[str, str]:
    return server_env(DATABASE_URL=f"sqlite:///{db}", RESPITE_CODE_FAILURES_PER_ADDRESS="100000")


def _manage(db: Path, *args: str) -> None:
    subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        env=_env(db),
        check=True,
        capture_output=True,
        timeout=180,
    )


class Server(Gunicorn):
    """gunicorn on its own SQLite file (the shared helper from ops' tests), which a test may kill -9."""

    def __init__(self, db: Path, workers: int = 2, threads: int = 1):
        self.db = db
        super().__init__(_env(db), db.with_suffix(".log"), workers=workers, threads=threads)

    def kill9(self) -> None:
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=60)


def submit(url: str) -> str | None:
    """POST one saved screening; return its id when the server acknowledged it (201)."""
    body = json.dumps(
        {
            "organization": "riverside",
            "save": True,
            "results": [
                {"instrument": "phq2", "answers": [1, 2]},
                {"instrument": "burnout", "answers": [3]},
            ],
        }
    )
    request = urllib.request.Request(
        f"{url}/api/v1/screenings", body.encode(), {"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return json.loads(response.read())["id"] if response.status == 201 else None
    except (OSError, urllib.error.HTTPError, ValueError):
        return None


@pytest.fixture
def database(tmp_path) -> Path:
    db = tmp_path / "respite.sqlite3"
    _manage(db, "migrate", "--noinput")
    _manage(db, "demo")
    return db


def _ids(db: Path) -> set[str]:
    with closing(sqlite3.connect(db)) as conn:
        return {
            row[0].replace("-", "") for row in conn.execute("SELECT id FROM screening_screening")
        }


# Generous: the machine may be at load average 10; a healthy run takes seconds.
DEADLINE_SECONDS = 300


def _wait_for(done, what: str, timeout: float = DEADLINE_SECONDS) -> None:
    """Poll ``done()``; fail (never hang) when it is not true by the deadline."""
    deadline = time.monotonic() + timeout
    while not done():
        if time.monotonic() > deadline:
            pytest.fail(f"gave up after {timeout:.0f} s waiting for {what}")
        time.sleep(0.05)


def _join(threads: list[threading.Thread], timeout: float = DEADLINE_SECONDS) -> None:
    deadline = time.monotonic() + timeout
    for t in threads:
        t.join(timeout=max(0.0, deadline - time.monotonic()))
    stuck = [t.name for t in threads if t.is_alive()]
    assert not stuck, f"{len(stuck)} writer threads still running after {timeout:.0f} s"


def test_kill_9_under_load_loses_no_acknowledged_submission(database):
    server = Server(database)
    acknowledged: list[str] = []
    stop = threading.Event()

    def writer():
        while not stop.is_set():
            if (sid := submit(server.url)) is not None:
                acknowledged.append(sid.replace("-", ""))

    threads = [threading.Thread(target=writer, daemon=True) for _ in range(6)]
    for t in threads:
        t.start()
    try:
        _wait_for(lambda: len(acknowledged) >= 60, "60 acknowledged submissions")
    finally:
        server.kill9()  # mid-load: requests are in flight
        stop.set()
    _join(threads)
    assert len(acknowledged) >= 60
    with closing(sqlite3.connect(database)) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert set(acknowledged) <= _ids(database)
    restarted = Server(database)
    try:
        assert submit(restarted.url) is not None
    finally:
        restarted.stop()


def _export(db: Path) -> list[tuple]:
    """A canonical export of the worker data: every screening with its results."""
    with closing(sqlite3.connect(db)) as conn:
        return sorted(
            conn.execute(
                "SELECT s.id, s.taken_on, s.tier, s.crisis, s.access_code_id, r.position, r.instrument, r.answers, r.score, r.band "
                "FROM screening_screening s JOIN screening_screeningresult r ON r.screening_id = s.id"
            ).fetchall()
        )


def test_online_backup_under_write_load_restores_to_an_identical_export(database, tmp_path):
    server = Server(database)
    stop = threading.Event()
    counts = [0]

    def writer():
        while not stop.is_set():
            if submit(server.url):
                counts[0] += 1

    threads = [threading.Thread(target=writer, daemon=True) for _ in range(4)]
    for t in threads:
        t.start()
    try:
        _wait_for(lambda: counts[0] >= 30, "30 submissions before the backup")
        backup = tmp_path / "backup.sqlite3"
        with (
            closing(sqlite3.connect(database, timeout=30)) as source,
            closing(sqlite3.connect(backup)) as target,
        ):
            source.backup(target, pages=64)  # online: copies in steps while writers keep writing
        _wait_for(lambda: counts[0] >= 60, "30 more submissions during the backup")
    finally:
        stop.set()
        server.stop()
    _join(threads)
    with closing(sqlite3.connect(backup)) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    snapshot = _export(backup)
    assert snapshot, "the backup holds the submissions made before it"
    # every screening in the snapshot is whole (both results), and identical in the live database
    per_screening: dict[str, int] = {}
    for row in snapshot:
        per_screening[row[0]] = per_screening.get(row[0], 0) + 1
    assert set(per_screening.values()) == {2}
    assert set(snapshot) <= set(_export(database))
    # restoring the backup (copying it back as a database file) gives the same export
    restored = tmp_path / "restored.sqlite3"
    with closing(sqlite3.connect(backup)) as source, closing(sqlite3.connect(restored)) as target:
        source.backup(target)
    assert _export(restored) == snapshot


def test_100_concurrent_writers_never_see_database_is_locked(database):
    server = Server(database, workers=4, threads=25)  # 100 requests in flight at once
    results: list[str | None] = []
    barrier = threading.Barrier(100, timeout=DEADLINE_SECONDS)

    def writer():
        barrier.wait()
        for _ in range(3):
            results.append(submit(server.url))

    try:
        threads = [threading.Thread(target=writer, daemon=True) for _ in range(100)]
        for t in threads:
            t.start()
        _join(threads)
    finally:
        server.stop()
    assert len(results) == 300 and all(results), f"{results.count(None)} of 300 submissions failed"
    assert "database is locked" not in server.log.read_text()
    assert len(_ids(database)) == 300
