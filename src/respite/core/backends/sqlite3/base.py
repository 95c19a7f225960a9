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
import functools
import os
import threading
import time
from typing import Any

from django.db.backends.sqlite3 import base

# The turn of each database file's writers in this process, by file name, and the files whose
# queue a thread still waits in for a writer that gave up (see _lock_file). Both are reset in a forked
# child: a lock held by another thread at fork time would never be released there.
_turns: dict[str, threading.Lock] = {}
_stranded: set[str] = set()
_turns_lock = threading.Lock()


def _reset_after_fork() -> None:
    global _turns_lock
    _turns.clear()
    _stranded.clear()
    _turns_lock = threading.Lock()


os.register_at_fork(after_in_child=_reset_after_fork)


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

    def close(self) -> None:
        # A statement that returns rows (INSERT ... RETURNING: Django's create() and save() outside
        # a transaction) counts its changes only once its rows are read, after execute() has
        # returned: flush once the statement is done with.
        super().close()
        self._committed()

    def _committed(self) -> None:
        if self.owner is not None:
            self.owner.flush_log()  # nothing inside a transaction: its commit flushes

    def convert_query(self, query: str, *, param_names: list[str] | None = None) -> str:
        # Django rewrites each statement's %s into ? with a regular expression, every time it is
        # run; a page runs the same few statements again and again.
        if param_names is None and len(query) <= _QMARK_MAX:
            return _qmark(query)
        return super().convert_query(query, param_names=param_names)


_QMARK_MAX = 4000  # longer statements (long IN lists) are rarely the same twice: not kept


@functools.lru_cache(maxsize=1024)
def _qmark(query: str) -> str:
    return base.FORMAT_QMARK_REGEX.sub("?", query).replace("%%", "%")


def _lock_file(fd: int, name: str, timeout: float) -> bool:
    """Take the exclusive ``flock`` of ``fd`` as soon as it is free: True once taken (``fd`` stays
    the caller's); False after ``timeout`` seconds, or an exception, and ``fd`` is no longer the
    caller's (closed, or closed later by the thread still waiting in it).

    A ``flock`` blocked in the kernel wakes the moment the holder lets go, where polling sleeps
    past it (polling measured no faster than SQLite's own busy handler), but it cannot be
    interrupted in a thread: a thread of its own waits in it, and the connection waits for that
    thread with a timeout. Only a wait behind another process starts one, and while one is left
    waiting for a writer that gave up, the next writers of that file poll instead of starting more
    (a transaction held for minutes must not pile up a thread and a file per timed-out request)."""
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        pass
    except BaseException:
        os.close(fd)
        raise
    if name in _stranded:
        return _poll_lock(fd, timeout)
    locked = threading.Event()
    decided = threading.Lock()
    gave_up = finished = False

    def wait() -> None:
        nonlocal finished
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            with decided:
                if not gave_up:
                    locked.set()
                    return
            fcntl.flock(fd, fcntl.LOCK_UN)  # too late: the connection gave up and let the fd go
        finally:
            if not locked.is_set():  # gave up, or flock failed (ENOLCK): the fd is this thread's
                os.close(fd)
                with decided:
                    finished = True
                    _stranded.discard(name)

    try:
        threading.Thread(target=wait, name="respite-sqlite-writer-queue", daemon=True).start()
    except BaseException:
        os.close(fd)
        raise
    try:
        got = locked.wait(max(timeout, 0))
    except BaseException:  # KeyboardInterrupt in a shell: never leave the lock taken
        with decided:
            if locked.is_set():
                fcntl.flock(fd, fcntl.LOCK_UN)
                os.close(fd)
            else:
                gave_up = True
                if not finished:
                    _stranded.add(name)
        raise
    with decided:
        if got or locked.is_set():  # taken just as the wait ended: keep it
            return True
        gave_up = True
        if not finished:  # still blocked in flock: later writers poll until it ends
            _stranded.add(name)
    return False


def _poll_lock(fd: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return True
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    break
                time.sleep(0.001)
    except BaseException:
        os.close(fd)
        raise
    os.close(fd)
    return False


class DatabaseWrapper(base.DatabaseWrapper):
    _flushed_changes = 0  # sqlite3's total_changes when the log was last flushed
    commits = 0  # COMMITs that succeeded on this connection
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
        took = self._turn_held is None
        with self.wrap_database_errors:  # Django's OperationalError, as for SQLite's busy timeout
            self._take_turn()
        try:
            super()._start_transaction_under_autocommit()  # type: ignore[misc]  # not in django-stubs
        except BaseException:
            if took:
                self._end_turn()
            raise

    def _take_turn(self) -> None:
        """Wait for this process's turn, then for the other processes' (see the module's note)."""
        name = str(self.settings_dict["NAME"])
        if self._queue_pid != os.getpid():
            # A connection carried into a forked child: its turn and descriptor are the parent's
            # (unlocking that descriptor would unlock the parent; keeping it open would keep the
            # parent's lock alive after the parent dies).
            if self._queue_fd is not None:
                os.close(self._queue_fd)
            self._queue_fd, self._turn_held, self._queue_pid = None, None, os.getpid()
        if self._turn_held is not None or self.is_in_memory_db() or name.startswith("file:"):
            return
        started = time.monotonic()
        turn = _turn(name)
        if not turn.acquire(timeout=self._wait):
            raise self.Database.OperationalError("database is locked")
        try:
            fd, self._queue_fd = self._queue_fd, None  # ours again once locked (see _lock_file)
            if fd is None:
                try:
                    fd = os.open(f"{name}-writer", os.O_RDWR | os.O_CREAT, 0o600)
                except OSError:  # a file we may not open: SQLite's busy handler, as before
                    turn.release()
                    return
            if not _lock_file(fd, name, self._wait - (time.monotonic() - started)):
                raise self.Database.OperationalError("database is locked")
            self._queue_fd = fd
        except BaseException:
            turn.release()
            raise
        self._turn_held = turn

    def _end_turn(self) -> None:
        turn, self._turn_held = self._turn_held, None
        if turn is None or self._queue_pid != os.getpid():
            return  # none, or the parent's, carried across a fork: not ours to hand on
        try:
            if self._queue_fd is not None:
                fcntl.flock(self._queue_fd, fcntl.LOCK_UN)
        finally:
            turn.release()

    def create_cursor(self, name: str | None = None) -> Any:
        cursor = self.connection.cursor(factory=_Cursor)
        cursor.owner = self
        return cursor

    def _commit(self) -> None:
        # A failed COMMIT (a deferred foreign key) leaves the transaction open: the turn goes with
        # the rollback that follows.
        super()._commit()  # type: ignore[misc]  # Django's, missing from django-stubs
        self.commits += 1  # committed, whatever follows (core.rows.write_together reads it)
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
        connection = self.connection
        if connection is not None and not connection.in_transaction:
            # SQLite counts the changes it rolled back: nothing of them is left to flush.
            self._flushed_changes = connection.total_changes

    def _close(self) -> None:
        try:
            super()._close()  # type: ignore[misc]
        finally:
            self._end_turn()
            if self._queue_fd is not None:
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
