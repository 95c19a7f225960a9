"""SQLite: a commit is on disk before the request goes on, and no other writer waits for that disk
flush (``respite.core.backends.sqlite3``; issue 19)."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connections
from django.db.utils import ConnectionHandler

from respite.core.backends.sqlite3 import base as backend

# The tests' own file database is not Django's test database, but pytest-django lets a test open a
# connection only when it is marked.
pytestmark = pytest.mark.django_db

OPTIONS = {
    "transaction_mode": "IMMEDIATE",
    "timeout": 20,
    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
}


@pytest.fixture
def db_file(tmp_path):
    """A file database opened through Respite's backend (whatever database the suite runs on)."""
    path = tmp_path / "flush.sqlite3"
    # A handler of its own (not Django's): it fills in every setting not given, as for
    # settings.DATABASES, and like it wants a "default".
    wrapper = ConnectionHandler(
        {
            "default": {
                "ENGINE": "respite.core.backends.sqlite3",
                "NAME": str(path),
                "OPTIONS": OPTIONS,
            }
        }
    )["default"]
    assert isinstance(wrapper, backend.DatabaseWrapper)
    with wrapper.cursor() as cursor:
        cursor.execute("CREATE TABLE answer (id INTEGER PRIMARY KEY, score INTEGER)")
    yield wrapper, path
    wrapper.close()


@pytest.fixture
def flushes(monkeypatch, db_file):
    """Every flush the backend asks for: the file flushed, and whether another process could take
    the write lock at that moment (it must: the flush happens after the lock is released)."""
    _wrapper, path = db_file
    seen: list[tuple[str, bool]] = []
    real = os.fdatasync

    def spy(fd: int) -> None:
        other = sqlite3.connect(path, timeout=0, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")
            other.execute("ROLLBACK")
            lock_free = True
        except sqlite3.OperationalError:  # "database is locked"
            lock_free = False
        finally:
            other.close()
        seen.append((os.readlink(f"/proc/self/fd/{fd}"), lock_free))
        real(fd)

    monkeypatch.setattr(backend.os, "fdatasync", spy)
    return seen


def test_a_transaction_is_flushed_once_after_its_commit_with_the_lock_already_free(
    db_file, flushes
):
    wrapper, path = db_file
    with wrapper.cursor() as cursor:
        wrapper.set_autocommit(False)
        cursor.execute("INSERT INTO answer (score) VALUES (3)")
        cursor.execute("INSERT INTO answer (score) VALUES (4)")
        assert flushes == []  # nothing flushed inside the transaction
        wrapper.commit()
        wrapper.set_autocommit(True)
    assert flushes == [(f"{path}-wal", True)]


def test_a_statement_in_autocommit_is_flushed_and_a_read_or_a_rollback_is_not(db_file, flushes):
    wrapper, path = db_file
    with wrapper.cursor() as cursor:
        cursor.execute("INSERT INTO answer (score) VALUES (1)")
        assert flushes == [(f"{path}-wal", True)]
        cursor.execute("SELECT count(*) FROM answer")
        cursor.execute("UPDATE answer SET score = 2 WHERE id = 999")  # changes no row
        wrapper.set_autocommit(False)
        cursor.execute("INSERT INTO answer (score) VALUES (5)")
        wrapper.rollback()
        wrapper.set_autocommit(True)
    assert len(flushes) == 1


def test_the_flushed_log_holds_the_committed_rows(db_file, flushes):
    """What was flushed is what a reader finds after the process is gone (the log, not yet
    checkpointed into the database file, is replayed by the next connection)."""
    wrapper, path = db_file
    with wrapper.cursor() as cursor:
        cursor.executemany("INSERT INTO answer (score) VALUES (%s)", [(1,), (2,), (3,)])
    assert len(flushes) == 1
    assert Path(f"{path}-wal").stat().st_size > 0
    reader = sqlite3.connect(path)
    try:
        assert reader.execute("SELECT sum(score) FROM answer").fetchone() == (6,)
    finally:
        reader.close()


def test_the_portal_runs_sqlite_through_this_backend_with_normal_sync():
    connection = connections["default"]
    if connection.vendor != "sqlite":
        pytest.skip("the portal's SQLite settings")
    assert settings.DATABASES["default"]["ENGINE"] == "respite.core.backends.sqlite3"
    assert isinstance(connection, backend.DatabaseWrapper)
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA synchronous")
        assert cursor.fetchone() == (1,)  # NORMAL: the backend flushes, after the lock is released
