"""Database sessions that are encrypted at rest and whose expiry is kept to the hour.

Django stores ``expire_date`` to the microsecond, which is the moment of the worker's last request plus
the session age: a fine timestamp of worker activity in ``django_session``. Here it is rounded *up* to
the next whole hour (a session lasts between 8 and 9 hours on the server; the browser's cookie still
ends after 8), so the table says at most the hour. ``clear_sessions`` purges expired rows hourly.

Django's own ``session_data`` is signed but readable base64 JSON: anyone reading the table would see a
worker's access-code id next to the ids of the screenings and requests made under it. Here the payload
is a Fernet token under ``RESPITE_ENCRYPTION_KEYS`` (prefixed ``f1:``), unreadable without the key.
Rows in Django's old format still decode (they expire within hours, and are written encrypted the next
time the session changes); a payload that no configured key can open is treated as an empty session.

Writes (issue 19): a new session costs one INSERT and no look-up first (a key collision is caught by the
INSERT and retried with another key), and a view that writes rows and changes the session can save both
in one transaction with ``one_commit(request)``: one fsynced commit instead of two. A session already
written with its current contents is not written again when the response goes out. A view whose rows
are prepared statements (``core.rows``) can hand them in with the session's to ``write_with_session``,
which shares one transaction with other requests' on SQLite (group commit).
"""

from __future__ import annotations

import base64
import logging
import secrets
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import timedelta
from typing import Any, cast

from django.contrib.sessions.backends.base import CreateError, UpdateError
from django.contrib.sessions.backends.db import SessionStore as DBStore
from django.contrib.sessions.exceptions import SessionInterrupted
from django.db import connections, router, transaction
from django.http import HttpRequest
from django.utils import timezone

from respite.core import crypto
from respite.core.fields import coarsen
from respite.core.rows import (
    Statement,
    insert,
    prepare_insert_values,
    prepare_update,
    rows,
    write_together,
)

PREFIX = "f1:"
log = logging.getLogger(__name__)


class SessionStore(DBStore):
    _written = False  # saved since its contents last changed: the response need not save it again

    @property  # Django's plain attribute, watched for changes
    def modified(self) -> bool:
        return self.__dict__.get("_modified", False)

    @modified.setter
    def modified(self, value: bool) -> None:
        self.__dict__["_modified"] = value
        if value:
            self._written = False

    def _get_new_session_key(self) -> str:
        # Django first asks the database whether a random key exists (a SELECT per new session).
        # 160 random bits make a collision improbable, and the INSERT of ``create`` (must_create)
        # refuses a duplicate anyway, which ``create`` retries with another key. Base32 of 20 bytes:
        # 32 of Django's key characters (a-z, 2-7), about as strong as its 32 of 36 (165 bits), in one
        # call to the system's generator instead of 32 (get_random_string: 40 us of the answers POST).
        return base64.b32encode(secrets.token_bytes(20)).decode("ascii").lower()

    def _get_session_from_db(self) -> Any:
        """The live row, read with one plain SELECT (``core.rows``): on a worker's page, building the
        ORM's query cost several times what the database took to answer it (issue 19). Same rule as
        Django's: the key matches and the row has not expired; otherwise no row, and the key is dropped."""
        found = rows(self.model, pk=self.session_key)
        if not found or found[0].expire_date <= timezone.now():
            self._session_key = None
            return None
        return found[0]

    def create(self) -> None:
        super().create()
        self._written = True

    def save(self, must_create: bool = False) -> None:
        if self._written and not must_create and self.session_key is not None:
            return
        if self.session_key is not None and (
            self._insert_new() if must_create else self._update_existing()
        ):
            self._written = True
            return
        super().save(must_create=must_create)
        self._written = True

    def _update_existing(self) -> bool:
        """One UPDATE, without the savepoint Django wraps it in (an UPDATE that finds no row is no
        database error; it is Django's UpdateError, as when the session was deleted meanwhile)."""
        obj = self.create_model_instance(self._get_session())  # type: ignore[attr-defined]
        updated = self.model._default_manager.filter(session_key=obj.session_key).update(
            session_data=obj.session_data, expire_date=obj.expire_date
        )
        if not updated:
            raise UpdateError
        return True

    def _insert_new(self) -> bool:
        """Insert a new session with ``ON CONFLICT DO NOTHING``: one statement where Django wraps its
        INSERT in a savepoint (three), so that a taken key does not abort the transaction. A taken key
        inserts nothing here either, and ``create`` tries another (CreateError). False on a database
        without ``ON CONFLICT``: Django's way then."""
        obj = self.create_model_instance(self._get_session(no_load=True))  # type: ignore[attr-defined]
        if connections[router.db_for_write(self.model)].vendor not in ("sqlite", "postgresql"):
            return False
        if insert([obj], skip_taken_keys=True) != 1:
            raise CreateError
        return True

    def prepare_save(self) -> Statement | None:
        """The statement that would save this session's changes, prepared now (None if there is
        nothing to write): an INSERT under a new key for a new session, else an UPDATE. Once it has
        been committed, ``saved()``; if it was not, a new session must be given back its key
        (``forget_key``) before ``save()``."""
        if not self.modified or (self._written and self.session_key is not None):
            return None
        if self.session_key is None:
            # A new visitor's row, from its values (no model instance: issue 19).
            self._session_key = self._get_new_session_key()
            return prepare_insert_values(
                self.model,
                [self._row(self._get_session(no_load=True))],  # type: ignore[attr-defined]
                skip_taken_keys=True,
            )
        obj = self.create_model_instance(self._get_session())  # type: ignore[attr-defined]
        return prepare_update(obj, ["session_data", "expire_date"])

    def saved(self) -> None:
        self._written = True

    def forget_key(self) -> None:
        self._session_key = None

    def create_model_instance(self, data: dict[str, Any]) -> Any:
        return self.model(**self._row(data))

    def _row(self, data: dict[str, Any]) -> dict[str, Any]:
        """The session's row: Django's, with the expiry rounded up to the next whole hour."""
        expire = self.get_expiry_date()
        hour = coarsen(expire, "hour")
        return {
            "session_key": self._get_or_create_session_key(),  # type: ignore[attr-defined]
            "session_data": self.encode(data),
            "expire_date": expire if hour is None else hour + timedelta(hours=1),
        }

    def encode(self, session_dict: dict[str, Any]) -> str:
        payload = self.serializer().dumps(session_dict)
        # The same contents as the last encoding (prepared before a transaction by ``one_commit``):
        # the same token, encrypted a moment ago, and no encryption inside the write lock.
        if payload == self.__dict__.get("_encoded_payload"):
            return self.__dict__["_encoded_token"]
        token = PREFIX + crypto.fernet().encrypt(payload).decode("ascii")
        self.__dict__["_encoded_payload"], self.__dict__["_encoded_token"] = payload, token
        return token

    def decode(self, session_data: bytes | str) -> dict[str, Any]:
        if isinstance(session_data, bytes):
            session_data = session_data.decode("ascii", "replace")
        if not session_data.startswith(PREFIX):
            return super().decode(session_data)  # Django's signed format, from before encryption
        try:
            payload = crypto.fernet().decrypt(session_data[len(PREFIX) :].encode("ascii"))
            return self.serializer().loads(payload)
        except Exception:  # a retired key or a damaged row: the session starts empty, like Django's
            log.warning("a session could not be decrypted; it is treated as empty")
            return {}


@contextmanager
def one_commit(request: HttpRequest) -> Iterator[None]:
    """Run a view's writes and save its session in the same transaction (one commit, one fsync);
    the session middleware then only sets the cookie. A session already changed is encrypted
    before the transaction begins, outside SQLite's write lock."""
    session = request.session
    if session.modified and isinstance(session, SessionStore):
        session.encode(session._get_session())  # type: ignore[attr-defined]  # Django's
    with transaction.atomic():
        yield
        if request.session.modified:
            request.session.save()


def write_with_session(request: HttpRequest, statements: Sequence[Statement]) -> None:
    """Write a view's prepared ``statements`` and save the request's session in one transaction,
    shared with other requests' where ``core.rows.write_together`` can; otherwise (or if the shared
    one failed) in one of its own, as ``one_commit``. Everything is prepared before: the
    transaction only sends statements."""
    session = request.session
    new_key = isinstance(session, SessionStore) and session.session_key is None
    save = session.prepare_save() if isinstance(session, SessionStore) else None

    def alone() -> None:
        if new_key:
            cast(SessionStore, session).forget_key()  # ``save`` picks a fresh one
        try:
            with one_commit(request):
                for statement in statements:
                    statement.run()
        except UpdateError:
            # The session was deleted meanwhile (signed out in another tab, or purged): Django's
            # answer when its middleware finds the same, a 400 asking to start again.
            raise SessionInterrupted(
                "The request's session was deleted before the request completed."
            ) from None

    if write_together([*statements, *([save] if save is not None else [])], alone) and save:
        cast(SessionStore, session).saved()
