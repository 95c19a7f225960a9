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
"""

from __future__ import annotations

import os
from typing import Any

from django.db.backends.sqlite3 import base


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


class DatabaseWrapper(base.DatabaseWrapper):
    _flushed_changes = 0  # sqlite3's total_changes when the log was last flushed

    def get_new_connection(self, conn_params: dict[str, Any]) -> Any:
        connection = super().get_new_connection(conn_params)
        self._flushed_changes = connection.total_changes
        return connection

    def create_cursor(self, name: str | None = None) -> Any:
        cursor = self.connection.cursor(factory=_Cursor)
        cursor.owner = self
        return cursor

    def _commit(self) -> None:
        super()._commit()  # type: ignore[misc]  # Django's, missing from django-stubs
        self.flush_log()

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
