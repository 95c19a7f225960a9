"""Django's SQLite backend, with the write-ahead log flushed to disk outside the write lock.

With ``PRAGMA synchronous=FULL`` SQLite flushes the log (an fsync) at every commit while it still
holds the database's single write lock, so every other writer, in every process, waits for the
disk: on a disk whose flush takes 3.6 ms, at most about 280 check-ins a second whatever the CPU
(issue 19, measured with ``make bench``).

Here SQLite commits with ``synchronous=NORMAL`` (no flush at commit; the log is always consistent,
and still flushed before each checkpoint) and this backend flushes the log itself right after each
commit that changed rows, once the lock is released and before the view goes on to answer. A worker
is still told "saved" only once the answer is on disk, and a power cut still loses nothing that was
confirmed: flushing the log file flushes every earlier transaction's frames with it, and a
checkpoint that has since moved them into the database file flushed that file first. Other writers
no longer wait for our disk flush; several flushes in flight are served together by the disk.

Writers queue for the lock instead of polling for it. Every transaction starts with ``BEGIN
IMMEDIATE`` (settings), and a writer that finds the lock taken is left to SQLite's busy handler,
which sleeps 1, 2, 5, 10, 15, 20, 25... ms between tries however soon the lock is free again. With
check-ins holding it about a millisecond each, the lock stood idle while writers slept: the answers
POST spent three quarters of its time in ``BEGIN`` with the server's cores half idle (``make bench``,
py-spy). Here a transaction first takes a queue of our own, and is handed the turn as soon as the
writer before it commits: a lock per process for its threads, then an exclusive ``flock`` on the file
``<database>-writer`` for the processes. The kernel lets that go if a process dies, and SQLite's own
lock still guards the data (a writer outside Respite, or a single statement outside a transaction,
just is not in the queue and waits as before). Waiting in the queue
ends, like SQLite's busy timeout, with "database is locked" after the connection's ``timeout``.
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
from typing import Any

from django.db.backends.sqlite3 import base

# The turn of each database file's writers in this process, by file name. Reset in a forked child:
# a lock held by another thread at fork time would never be released there.
_turns: dict[str, threading.Lock] = {}
_turns_lock = threading.Lock()
os.register_at_fork(after_in_child=_turns.clear)


def _turn(name: str) -> threading.Lock:
    with _turns_lock:
        return _turns.setdefault(name, threading.Lock())


class _Cursor(base.SQLiteCursorWrapper):
    """A statement run outside a transaction commits by itself (Django's autocommit): flush after it."""

    owner: DatabaseWrapper | None = None

    def execute(self, query: str, params: Any = None) -> Any:
        result = super().execute(query, params)
        self._committed()
        return result

    def executemany(self, query: str, param_list: Any) -> Any:
        result = super().executemany(query, param_list)
        self._committed()
        return result

    def _committed(self) -> None:
        if self.owner is not None:
            self.owner.flush_log()  # nothing inside a transaction: its commit flushes


def _lock_file(fd: int, timeout: float) -> bool:
    """Take the exclusive ``flock`` of ``fd`` as soon as it is free, or give up after ``timeout``
    seconds (False; ``fd`` then belongs to the waiting thread, which closes it).

    A ``flock`` blocked in the kernel wakes the moment the holder lets go, where polling would
    sleep past it (polling measured no faster than SQLite's own busy handler), but it cannot be
    interrupted in a thread: a thread of its own waits in it, and the connection waits for that
    thread with a timeout. Only a wait behind another process's transaction starts one."""
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        pass
    locked = threading.Event()
    decided = threading.Lock()
    gave_up = False

    def wait() -> None:
        fcntl.flock(fd, fcntl.LOCK_EX)
        with decided:
            if not gave_up:
                locked.set()
                return
        fcntl.flock(fd, fcntl.LOCK_UN)  # too late: the connection gave up and let the fd go
        os.close(fd)

    threading.Thread(target=wait, name="respite-sqlite-writer-queue", daemon=True).start()
    if locked.wait(max(timeout, 0)):
        return True
    with decided:
        if locked.is_set():
            return True
        gave_up = True
    return False


class DatabaseWrapper(base.DatabaseWrapper):
    _flushed_changes = 0  # sqlite3's total_changes when the log was last flushed
    _queue_fd: int | None = None  # open on ``<database>-writer``, by the process in _queue_pid
    _queue_pid = 0
    _turn_held: threading.Lock | None = None  # this connection's turn, while it has one
    _wait = 20.0  # seconds in the queue before "database is locked": the connection's timeout

    def get_new_connection(self, conn_params: dict[str, Any]) -> Any:
        connection = super().get_new_connection(conn_params)
        self._flushed_changes = connection.total_changes
        self._wait = float(conn_params.get("timeout", 5))
        return connection

    def _start_transaction_under_autocommit(self) -> None:
        with self.wrap_database_errors:  # Django's OperationalError, as for SQLite's busy timeout
            self._take_turn()
        try:
            super()._start_transaction_under_autocommit()  # type: ignore[misc]  # not in django-stubs
        except BaseException:
            self._end_turn()
            raise

    def _take_turn(self) -> None:
        """Wait for this process's turn, then for the other processes' (see the module's note)."""
        if self.is_in_memory_db() or self._turn_held is not None:
            return
        name = str(self.settings_dict["NAME"])
        started = time.monotonic()
        turn = _turn(name)
        if not turn.acquire(timeout=self._wait):
            raise self.Database.OperationalError("database is locked")
        try:
            if self._queue_fd is None or self._queue_pid != os.getpid():
                # Never the descriptor of a parent process: unlocking it would unlock the parent's.
                self._queue_fd = os.open(f"{name}-writer", os.O_RDWR | os.O_CREAT, 0o600)
                self._queue_pid = os.getpid()
            if not _lock_file(self._queue_fd, self._wait - (time.monotonic() - started)):
                self._queue_fd = None  # still waited on by the waiting thread, which closes it
                raise self.Database.OperationalError("database is locked")
        except BaseException:
            turn.release()
            raise
        self._turn_held = turn

    def _end_turn(self) -> None:
        turn, self._turn_held = self._turn_held, None
        if turn is None:
            return
        try:
            if self._queue_fd is not None and self._queue_pid == os.getpid():
                fcntl.flock(self._queue_fd, fcntl.LOCK_UN)
        finally:
            turn.release()

    def create_cursor(self, name: str | None = None) -> Any:
        cursor = self.connection.cursor(factory=_Cursor)
        cursor.owner = self
        return cursor

    def _commit(self) -> None:
        try:
            super()._commit()  # type: ignore[misc]  # Django's, missing from django-stubs
        finally:
            self._end_turn()
        self.flush_log()

    def _set_autocommit(self, autocommit: bool) -> None:
        super()._set_autocommit(autocommit)  # type: ignore[misc]
        if autocommit:  # sqlite3 commits an open transaction when autocommit is turned back on
            self._end_turn()

    def _rollback(self) -> None:
        try:
            super()._rollback()  # type: ignore[misc]
        finally:
            self._end_turn()

    def _close(self) -> None:
        try:
            super()._close()  # type: ignore[misc]
        finally:
            self._end_turn()
            if self._queue_fd is not None and self._queue_pid == os.getpid():
                os.close(self._queue_fd)
            self._queue_fd = None

    def flush_log(self) -> None:
        """Flush the write-ahead log to disk if rows changed since the last flush (nothing for
        reads, and nothing for an in-memory database)."""
        connection = self.connection
        if connection is None or connection.in_transaction:
            return
        changes = connection.total_changes
        if changes == self._flushed_changes:
            return
        self._flushed_changes = changes
        if self.is_in_memory_db():
            return
        try:
            fd = os.open(f"{self.settings_dict['NAME']}-wal", os.O_RDONLY)
        except FileNotFoundError:
            # The last connection closed and checkpointed the log into the database file, which
            # SQLite flushed before deleting the log.
            return
        try:
            os.fdatasync(fd)
        finally:
            os.close(fd)
