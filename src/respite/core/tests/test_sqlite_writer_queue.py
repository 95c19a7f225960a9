"""SQLite: writers queue for the write lock and are handed it as soon as it is free
(``respite.core.backends.sqlite3``; issue 19), without ever waiting forever or letting two writers in.

Written as the failures would happen in production: a second gunicorn worker (another process) in the
middle of a check-in, a process killed while writing, a request that fails half-way, a connection
closed with its transaction open.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.db.utils import ConnectionHandler, OperationalError

import respite
from respite.core.backends.sqlite3 import base as backend

pytestmark = pytest.mark.django_db

PATIENCE_S = 120  # generous: a busy 2-core machine


def _wrapper(path, timeout: float = 20) -> backend.DatabaseWrapper:
    wrapper = ConnectionHandler(
        {
            "default": {
                "ENGINE": "respite.core.backends.sqlite3",
                "NAME": str(path),
                "OPTIONS": {
                    "transaction_mode": "IMMEDIATE",
                    "timeout": timeout,
                    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                },
            }
        }
    )["default"]
    assert isinstance(wrapper, backend.DatabaseWrapper)
    return wrapper


@pytest.fixture
def path(tmp_path):
    path = tmp_path / "queue.sqlite3"
    wrapper = _wrapper(path)
    with wrapper.cursor() as cursor:
        cursor.execute("CREATE TABLE answer (id INTEGER PRIMARY KEY, writer TEXT)")
    wrapper.close()
    return path


def _write(wrapper: backend.DatabaseWrapper, writer: str) -> None:
    with wrapper.cursor() as cursor:
        cursor.execute("INSERT INTO answer (writer) VALUES (%s)", [writer])


def _writers(path) -> list[str]:
    wrapper = _wrapper(path)
    try:
        with wrapper.cursor() as cursor:
            cursor.execute("SELECT writer FROM answer ORDER BY id")
            return [row[0] for row in cursor.fetchall()]
    finally:
        wrapper.close()


class OtherProcess:
    """Another server process holding the writers' queue of ``path``, as a gunicorn worker in the
    middle of a transaction does; it lets go when told to, or when it is killed."""

    CODE = (
        "import fcntl, os, sys; "
        "fd = os.open(sys.argv[1] + '-writer', os.O_RDWR | os.O_CREAT, 0o600); "
        "fcntl.flock(fd, fcntl.LOCK_EX); print('holding', flush=True); sys.stdin.readline()"
    )

    def __init__(self, path) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-c", self.CODE, str(path)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        assert self.proc.stdout.readline().strip() == "holding"  # blocks until it holds the lock

    def release(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write("\n")
        self.proc.stdin.flush()
        self.proc.wait(PATIENCE_S)

    def kill(self) -> None:
        self.proc.kill()
        self.proc.wait(PATIENCE_S)


def _in_thread(fn) -> tuple[threading.Thread, list]:
    outcome: list = []

    def run() -> None:
        try:
            outcome.append(fn())
        except Exception as exc:
            outcome.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, outcome


def _write_in_transaction(path, writer: str, entered: threading.Event | None = None):
    def run() -> str:
        wrapper = _wrapper(path)
        try:
            with _atomic(wrapper):
                if entered is not None:
                    entered.set()
                _write(wrapper, writer)
            return writer
        finally:
            wrapper.close()

    return run


def _begin(wrapper: backend.DatabaseWrapper) -> None:
    """A transaction begun as ``transaction.atomic`` begins one (BEGIN IMMEDIATE)."""
    wrapper.set_autocommit(False, force_begin_transaction_with_broken_autocommit=True)


class _atomic:
    """``transaction.atomic`` for a wrapper that is not in Django's connection handler."""

    def __init__(self, wrapper: backend.DatabaseWrapper) -> None:
        self.wrapper = wrapper

    def __enter__(self) -> None:
        _begin(self.wrapper)

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.wrapper.commit()
        else:
            self.wrapper.rollback()
        self.wrapper.set_autocommit(True)


def test_a_writer_waits_while_another_process_writes_and_goes_on_once_it_has_committed(path):
    other = OtherProcess(path)
    entered = threading.Event()
    thread, outcome = _in_thread(_write_in_transaction(path, "us", entered))
    # Still queued while the other process holds its turn (checked for a while: it must not slip in).
    assert not entered.wait(1.0)
    other.release()
    thread.join(PATIENCE_S)
    assert outcome == ["us"] and entered.is_set()
    assert _writers(path) == ["us"]


def test_a_process_killed_while_writing_does_not_block_the_others(path):
    other = OtherProcess(path)
    thread, outcome = _in_thread(_write_in_transaction(path, "us"))
    other.kill()  # gunicorn's timeout, the OOM killer: the kernel lets its lock go
    thread.join(PATIENCE_S)
    assert outcome == ["us"]


def test_a_writer_stuck_in_the_queue_is_told_the_database_is_locked_after_its_timeout(path):
    other = OtherProcess(path)
    try:
        wrapper = _wrapper(path, timeout=0.5)
        try:
            with pytest.raises(OperationalError, match="database is locked"), _atomic(wrapper):
                _write(wrapper, "us")
            # ...and leaves the queue: once the other process is done, the same connection writes.
            other.release()
            with _atomic(wrapper):
                _write(wrapper, "us, later")
        finally:
            wrapper.close()
    finally:
        if other.proc.poll() is None:
            other.kill()
    assert _writers(path) == ["us, later"]


@pytest.mark.parametrize("ending", ["commit", "rollback", "close", "autocommit"])
def test_each_way_a_transaction_ends_hands_the_turn_on(path, ending):
    first = _wrapper(path)
    _begin(first)
    _write(first, "first")
    entered = threading.Event()
    thread, outcome = _in_thread(_write_in_transaction(path, "second", entered))
    assert not entered.wait(1.0)  # queued behind the open transaction, in this same process
    if ending == "commit":
        first.commit()
    elif ending == "rollback":
        first.rollback()
    elif ending == "close":
        first.close()  # a request torn down with its transaction open: SQLite rolls it back
    else:
        first.set_autocommit(True)  # sqlite3 commits what is open
    thread.join(PATIENCE_S)
    assert outcome == ["second"]
    first.close()
    kept = ["first"] if ending in ("commit", "autocommit") else []
    assert _writers(path) == [*kept, "second"]


def test_a_failed_begin_leaves_the_queue(path, monkeypatch):
    wrapper = _wrapper(path)
    try:
        real = backend.base.DatabaseWrapper._start_transaction_under_autocommit

        def failing(self):
            raise OperationalError("disk I/O error")

        monkeypatch.setattr(
            backend.base.DatabaseWrapper, "_start_transaction_under_autocommit", failing
        )
        with pytest.raises(OperationalError):
            _begin(wrapper)
        monkeypatch.setattr(
            backend.base.DatabaseWrapper, "_start_transaction_under_autocommit", real
        )
        thread, outcome = _in_thread(_write_in_transaction(path, "next"))
        thread.join(PATIENCE_S)
        assert outcome == ["next"]
    finally:
        wrapper.close()


def test_many_writers_in_threads_and_processes_all_get_in_and_none_is_lost(path):
    """Two processes of eight threads each, writing flat out: every write lands, one at a time."""
    src = str(Path(respite.__file__).parent.parent)
    procs = [
        subprocess.Popen([sys.executable, "-c", MANY_SCRIPT, str(path), src, f"p{p}"])
        for p in range(2)
    ]
    for proc in procs:
        assert proc.wait(PATIENCE_S * 2) == 0
    writers = _writers(path)
    assert len(writers) == 2 * 8 * MANY
    assert {w.rsplit("#", 1)[0] for w in writers} == {
        f"p{p}-{n}" for p in range(2) for n in range(8)
    }


MANY = 25
# One server process: eight threads writing flat out; exits 1 if any write failed or saw another's.
MANY_SCRIPT = """
import sys, threading
sys.path.insert(0, sys.argv[2])
import django
from django.conf import settings
settings.configure()
django.setup()
from respite.core.tests import test_sqlite_writer_queue as t
failures = []
def one(name):
    try:
        t._many(sys.argv[1], name)
    except Exception as exc:
        failures.append(repr(exc))
threads = [threading.Thread(target=one, args=(f"{sys.argv[3]}-{n}",)) for n in range(8)]
[x.start() for x in threads]
[x.join() for x in threads]
sys.exit(f"failed: {failures}" if failures else 0)
"""


def _many(path: str, name: str) -> None:
    wrapper = _wrapper(path)
    try:
        for i in range(MANY):
            with _atomic(wrapper), wrapper.cursor() as cursor:
                cursor.execute("SELECT count(*) FROM answer")
                before = cursor.fetchone()[0]
                cursor.execute("INSERT INTO answer (writer) VALUES (%s)", [f"{name}#{i}"])
                cursor.execute("SELECT count(*) FROM answer")
                if cursor.fetchone()[0] != before + 1:
                    raise AssertionError("another writer got in during this transaction")
    finally:
        wrapper.close()


def _queue_threads() -> int:
    return sum(t.name == "respite-sqlite-writer-queue" for t in threading.enumerate())


def _open_queue_files(path) -> int:
    fds = Path("/proc/self/fd")
    target = f"{path}-writer"
    count = 0
    for fd in fds.iterdir():
        with contextlib.suppress(OSError):  # a descriptor closed meanwhile
            count += os.readlink(fd) == target
    return count


def _eventually(check, what: str) -> None:
    deadline = time.monotonic() + PATIENCE_S
    while not check():
        assert time.monotonic() < deadline, what
        time.sleep(0.05)


def test_writers_timing_out_behind_a_long_transaction_do_not_pile_up_threads_or_files(path):
    """A transaction held for minutes elsewhere (a migration, a shell): each request that gives up
    must not leave a thread and an open file behind, or the server runs out of both."""
    other = OtherProcess(path)
    threads, files = _queue_threads(), _open_queue_files(path)
    try:
        for attempt in range(6):
            wrapper = _wrapper(path, timeout=0.2)
            try:
                with pytest.raises(OperationalError, match="database is locked"), _atomic(wrapper):
                    _write(wrapper, f"attempt {attempt}")
            finally:
                wrapper.close()
        assert _queue_threads() - threads <= 1
        assert _open_queue_files(path) - files <= 1
    finally:
        other.release()
    _eventually(lambda: _queue_threads() == threads, "the waiting thread ended")
    _eventually(lambda: _open_queue_files(path) == files, "its file was closed")
    thread, outcome = _in_thread(_write_in_transaction(path, "after"))
    thread.join(PATIENCE_S)
    assert outcome == ["after"]


def test_a_writer_interrupted_while_queued_does_not_keep_the_lock(path, monkeypatch):
    """Ctrl-C in a shell while queued behind another process: once that process is done, nobody
    holds the queue (another process takes it at once)."""
    other = OtherProcess(path)
    wrapper = _wrapper(path)
    threads = _queue_threads()

    class Interrupted(threading.Event):
        def wait(self, timeout=None):
            super().wait(0.2)
            raise KeyboardInterrupt

    # The backend's own Event only (threading's is used by Thread.start itself).
    monkeypatch.setattr(
        backend,
        "threading",
        SimpleNamespace(Thread=threading.Thread, Lock=threading.Lock, Event=Interrupted),
    )
    try:
        with pytest.raises(KeyboardInterrupt), _atomic(wrapper):
            _write(wrapper, "interrupted")
    finally:
        monkeypatch.undo()
        other.release()
    _eventually(lambda: _queue_threads() == threads, "the waiting thread ended")
    third = OtherProcess(path)  # blocks until it holds the lock: it would hang if we kept it
    third.release()
    wrapper.close()
    assert _writers(path) == []


def test_a_row_written_with_returning_outside_a_transaction_is_flushed_before_it_is_used(
    path, monkeypatch
):
    """Django's create() and save() insert with RETURNING: SQLite counts the change only once the
    returned row is read, after the statement was sent. The log must still be flushed before the
    caller goes on (and answers the worker): docs/security.md's promise after a power cut."""
    flushed: list[int] = []
    fdatasync = os.fdatasync
    monkeypatch.setattr(os, "fdatasync", lambda fd: (flushed.append(fd), fdatasync(fd))[1])
    wrapper = _wrapper(path)
    try:
        with wrapper.cursor() as cursor:
            cursor.execute("INSERT INTO answer (writer) VALUES (%s) RETURNING id", ["returning"])
            (row_id,) = cursor.fetchone()
        assert flushed, "not flushed when the statement was done with"
    finally:
        wrapper.close()
    assert row_id and _writers(path) == ["returning"]
