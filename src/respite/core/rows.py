"""Whole rows by equality, and plain INSERTs, without the ORM's query building (issue 19).

On a worker's result page, Django spent several times longer building ``Screening.objects.get(...)``
(lookups, joins, the compiler) than SQLite took to answer it. ``rows`` writes the one statement such a
read needs, ``SELECT`` every column ``WHERE`` each given column equals its value, converts each value
with the converters the ORM itself would apply (UUIDs, JSON, booleans, dates: the backend's and the
field's, looked up once per model and database) and returns ordinary model instances (``from_db``).
``insert`` is the same for writes: one ``INSERT`` of new instances, each value prepared by its field
as ``save()`` would (defaults, coarsened times, encryption). Use them only on hot paths whose
statements are that simple. ``write_together`` commits prepared statements of several requests in
one transaction (group commit, on SQLite): see its note.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Sequence
from typing import Any, TypeVar, cast

from django.db import DatabaseError, OperationalError, connections, models, router, transaction

M = TypeVar("M", bound=models.Model)
log = logging.getLogger(__name__)


def _column(field: Any) -> str:
    return cast(str, field.column)  # concrete fields always have one (the stubs allow None)


def rows(model: type[M], *, order_by: tuple[str, ...] = (), **where: Any) -> list[M]:
    """Instances of ``model`` whose fields (``pk``, a name or an attname such as ``organization_id``)
    equal the given values (``None`` matches NULL), in ``order_by`` order (names; ``-`` descending)."""
    conn = connections[router.db_for_read(model)]
    meta = model._meta
    q = conn.ops.quote_name
    conditions, params = [], []
    for name, value in where.items():
        field = cast(models.Field, meta.pk if name == "pk" else meta.get_field(name))
        if isinstance(value, models.Model):
            value = value.pk
        if value is None:
            conditions.append(f"{q(_column(field))} IS NULL")
        else:
            conditions.append(f"{q(_column(field))} = %s")
            params.append(field.get_db_prep_value(value, conn))
    columns, attnames, converters = _read_plan(model, conn)
    # Table and column names come from the model and are quoted; every value is a parameter.
    sql = f"SELECT {columns} FROM {q(meta.db_table)}"  # noqa: S608
    if conditions:
        sql += " WHERE " + " AND ".join(conditions)
    if order_by:
        terms = []
        for name in order_by:
            column = _column(meta.get_field(name.lstrip("-")))
            terms.append(q(column) + (" DESC" if name.startswith("-") else ""))
        sql += " ORDER BY " + ", ".join(terms)
    with conn.cursor() as cursor:
        cursor.execute(sql, params)
        fetched = cursor.fetchall()
    found = []
    for row in fetched:
        values = list(row)
        for pos, convs, col in converters:
            value = values[pos]
            for convert in convs:
                value = convert(value, col, conn)
            values[pos] = value
        found.append(model.from_db(conn.alias, attnames, values))
    return found


# (model, database alias) -> the column list, the attnames, and each column's converters.
_plans: dict[tuple[type, str], tuple[str, list[str], list[tuple[int, list, Any]]]] = {}


def _read_plan(
    model: type[models.Model], conn: Any
) -> tuple[str, list[str], list[tuple[int, list, Any]]]:
    plan = _plans.get((model, conn.alias))
    if plan is None:
        meta = model._meta
        fields = list(meta.concrete_fields)
        converters = []
        for pos, field in enumerate(fields):
            col = field.get_col(meta.db_table)
            convs = conn.ops.get_db_converters(col) + col.get_db_converters(conn)
            if convs:
                converters.append((pos, convs, col))
        columns = ", ".join(conn.ops.quote_name(_column(f)) for f in fields)
        plan = _plans[(model, conn.alias)] = (columns, [f.attname for f in fields], converters)
    return plan


class Statement:
    """One prepared write statement: ``run()`` sends it and returns how many rows it wrote, which
    ``expected`` says it should (``write_together`` checks)."""

    __slots__ = ("alias", "expected", "params", "sql")

    def __init__(self, alias: str, sql: str, params: list[Any], expected: int) -> None:
        self.alias, self.sql, self.params, self.expected = alias, sql, params, expected

    def run(self) -> int:
        """Send the statement (in the calling thread's connection); returns how many rows it wrote."""
        with connections[self.alias].cursor() as cursor:
            cursor.execute(self.sql, self.params)
            return cast(int, cursor.rowcount)


class Insert(Statement):
    """One ``INSERT`` of new instances, its values already prepared (``prepare_insert``): ``run()``
    only sends it. Prepared before a transaction begins, it keeps the field work (defaults, JSON,
    encryption) out of the time the write lock is held (issue 19)."""

    __slots__ = ("objs",)

    def __init__(self, alias: str, sql: str, params: list[Any], objs: Sequence[models.Model]):
        super().__init__(alias, sql, params, len(objs))
        self.objs = objs

    def run(self) -> int:
        """Send the statement; returns how many rows were written."""
        written = super().run()
        for obj in self.objs:
            obj._state.adding, obj._state.db = False, self.alias
        return written


# (model, database alias) -> what its INSERTs write: the fields, each by name and attname, the
# fields whose value save() computes (prepare_insert_values refuses those), the statement's head
# and one row's placeholders.
_insert_plans: dict[tuple[type, str], tuple[list[Any], dict[str, Any], list[str], str, str]] = {}


def _computes(field: Any) -> bool:
    """Whether ``field`` computes its value when saved (``pre_save``): a field of its own kind, or
    a date that is ``auto_now``/``auto_now_add``. A plain date keeps the value it is given (and a
    coarse one is cut down when its value is prepared)."""
    # The class whose pre_save runs says whether it only cuts (core.fields.CoarseDateTimeField): a
    # subclass overriding pre_save again does not inherit the promise.
    owner = next(c for c in type(field).__mro__ if "pre_save" in vars(c))
    if owner is models.Field:
        return False
    if isinstance(field, models.DateField) and (
        owner in (models.DateField, models.DateTimeField)
        or vars(owner).get("pre_save_cuts_only", False)
    ):
        return bool(field.auto_now or field.auto_now_add)
    return True


def _insert_plan(
    model: type[models.Model], conn: Any
) -> tuple[list[Any], dict[str, Any], list[str], str, str]:
    plan = _insert_plans.get((model, conn.alias))
    if plan is None:
        meta = model._meta
        q = conn.ops.quote_name
        fields = [f for f in meta.local_concrete_fields if f is not meta.auto_field]
        names = {**{f.name: f for f in fields}, **{f.attname: f for f in fields}}
        computed = [f.name for f in fields if _computes(f)]
        columns = ", ".join(q(_column(f)) for f in fields)
        # Names from the model, quoted; every value is a parameter.
        head = f"INSERT INTO {q(meta.db_table)} ({columns}) VALUES "  # noqa: S608
        one = "(" + ", ".join(["%s"] * len(fields)) + ")"
        plan = _insert_plans[(model, conn.alias)] = (fields, names, computed, head, one)
    return plan


def prepare_insert(objs: Sequence[models.Model], *, skip_taken_keys: bool = False) -> Insert | None:
    """``insert``'s statement, prepared but not sent (None for no instances). Values are read from
    the instances now: change them afterwards and prepare again."""
    if not objs:
        return None
    model = type(objs[0])
    conn = connections[router.db_for_write(model)]
    fields, _names, _computed, head, one = _insert_plan(model, conn)
    params: list[Any] = []
    for obj in objs:
        params.extend(f.get_db_prep_save(f.pre_save(obj, True), conn) for f in fields)
    sql = (
        head + ", ".join([one] * len(objs)) + (_skip_taken(model, conn) if skip_taken_keys else "")
    )
    return Insert(conn.alias, sql, params, objs)


def prepare_insert_values(
    model: type[models.Model], values: Sequence[dict[str, Any]], *, skip_taken_keys: bool = False
) -> Statement | None:
    """``prepare_insert`` for rows given as ``{field name or attname: value}`` instead of instances
    (building a model instance cost more than preparing its values: issue 19). A field left out
    takes its default. Only for models whose fields compute nothing when saved (no ``auto_now``,
    no field whose ``pre_save`` does more than cut a time down): ``ValueError`` otherwise. None
    for no rows. ``skip_taken_keys`` as for ``insert``."""
    if not values:
        return None
    conn = connections[router.db_for_write(model)]
    fields, names, computed, head, one = _insert_plan(model, conn)
    if computed:
        raise ValueError(f"{model.__name__} computes {computed} when saved: use prepare_insert")
    params: list[Any] = []
    for row in values:
        unknown = set(row) - set(names)
        if unknown:
            raise ValueError(f"{model.__name__} has no field {sorted(unknown)}")
        given = {names[key].attname: value for key, value in row.items()}
        for f in fields:
            value = given[f.attname] if f.attname in given else f.get_default()
            params.append(f.get_db_prep_save(value, conn))
    sql = (
        head
        + ", ".join([one] * len(values))
        + (_skip_taken(model, conn) if skip_taken_keys else "")
    )
    return Statement(conn.alias, sql, params, len(values))


def _skip_taken(model: type[models.Model], conn: Any) -> str:
    """An INSERT's ending that leaves out a row whose primary key exists (SQLite, PostgreSQL)."""
    return f" ON CONFLICT ({conn.ops.quote_name(_column(model._meta.pk))}) DO NOTHING"


def prepare_update(obj: models.Model, field_names: Sequence[str]) -> Statement:
    """An ``UPDATE`` of ``obj``'s row (by primary key) setting the named fields to its values now,
    prepared but not sent. It expects to write one row (none: the row was deleted meanwhile)."""
    meta = obj._meta
    conn = connections[router.db_for_write(type(obj))]
    q = conn.ops.quote_name
    fields = [cast(models.Field, meta.get_field(name)) for name in field_names]
    params = [f.get_db_prep_save(f.pre_save(obj, False), conn) for f in fields]
    pk = meta.pk
    params.append(pk.get_db_prep_value(obj.pk, conn))
    assignments = ", ".join(f"{q(_column(f))} = %s" for f in fields)
    # Names from the model, quoted; every value is a parameter.
    sql = f"UPDATE {q(meta.db_table)} SET {assignments} WHERE {q(_column(pk))} = %s"  # noqa: S608
    return Statement(conn.alias, sql, params, 1)


def insert(objs: Sequence[models.Model], *, skip_taken_keys: bool = False) -> int:
    """INSERT new instances of one model in one statement; returns how many rows were written.
    Unlike ``save()`` or ``bulk_create`` it sends no signals, reads no ids back (an auto-increment
    key stays None; give UUID keys their default) and wraps nothing in a savepoint: call it inside
    the caller's transaction. With ``skip_taken_keys`` a row whose primary key exists is left out
    (``ON CONFLICT DO NOTHING``, SQLite and PostgreSQL) instead of aborting the transaction."""
    statement = prepare_insert(objs, skip_taken_keys=skip_taken_keys)
    return statement.run() if statement is not None else 0


# --- group commit ------------------------------------------------------------------------------
# SQLite lets one transaction write at a time, in every process (core.backends.sqlite3 queues
# them). Under load, the answers POST spent most of its time on what each transaction costs
# whatever it writes: waiting for the turn, BEGIN, COMMIT, re-reading the pages other writers
# changed, flushing the log (``make bench``: its server CPU per request fell from 2.2 to 1.3 ms
# with the writes left out). ``write_together`` shares that cost: statements that requests of one
# process hand in while another transaction of theirs is being written wait, and are then
# written together by one of them in one transaction; each request returns once that transaction
# is on disk. If a shared transaction is rolled back (a statement failed, or wrote fewer rows than
# it expected), every request in it writes its own alone, so one request's failure is never
# another's. What would fail for each of them anyway (the database locked past the timeout) is
# reported to each, not tried again. And a transaction that committed but whose flush failed (or
# was interrupted) is never written twice: each request is told it is not known to be saved.
# Groups form only where threads of one process write at once (gunicorn's gthread workers).


class _Job:
    """One request's statements in a group, and what became of them."""

    __slots__ = ("done", "failure", "lead", "statements", "written")

    def __init__(self, statements: Sequence[Statement]) -> None:
        self.statements = statements
        self.done = threading.Event()
        self.lead = False  # woken to write the next group itself
        self.written = False
        self.failure: BaseException | None = None  # to raise in the request, not to write alone


class _Group:
    """A process's requests waiting to write to one database (``lock`` guards the rest)."""

    __slots__ = ("busy", "lock", "waiting")

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.waiting: list[_Job] = []
        self.busy = False  # a thread is writing a group (or about to)

    def hand_on(self) -> None:
        """The group written: the first request waiting writes the next one (under ``lock``)."""
        if self.waiting:
            self.waiting[0].lead = True
            self.waiting[0].done.set()
        else:
            self.busy = False

    def withdraw(self, job: _Job) -> None:
        """A request interrupted while it waited (Ctrl-C in a shell): it leaves the queue, and the
        lead it may have been handed goes to the next, so no later request waits for it forever."""
        with self.lock:
            if job in self.waiting:
                self.waiting.remove(job)
                if job.lead:
                    self.hand_on()


_groups: dict[str, _Group] = {}
_groups_lock = threading.Lock()


def _reset_groups_after_fork() -> None:
    global _groups_lock
    _groups.clear()  # a group being written by a thread the child does not have
    _groups_lock = threading.Lock()


os.register_at_fork(after_in_child=_reset_groups_after_fork)


def _group(alias: str) -> _Group:
    with _groups_lock:
        group = _groups.get(alias)
        if group is None:
            group = _groups[alias] = _Group()
        return group


class NotKnownSaved(DatabaseError):
    """The transaction committed but its flush to disk failed or was interrupted: the rows may be
    there, yet nobody may be told they are saved (nor write them again)."""


def write_together(statements: Sequence[Statement], alone: Callable[[], None]) -> bool:
    """Write ``statements`` (all on one database) in one transaction, shared with the statements
    other threads of this process hand in meanwhile (see the note above); returns once they are
    committed (and, on SQLite, on disk: ``core.backends.sqlite3``). Where they cannot be written
    that way, ``alone()`` is called instead, and should write them in a transaction of its own,
    raising what a failure raises: inside a transaction already (nothing to share: a test, or a
    caller with more to write), on another database than SQLite (its writers do not queue),
    statements on several databases, or after a shared transaction was rolled back. Returns True
    if the shared transaction wrote them. Raises ``NotKnownSaved`` (see there), or the error that
    stopped the shared transaction from beginning (the database locked past its timeout)."""
    alias = statements[0].alias if statements else "default"
    conn = connections[alias]
    if (
        not statements
        or conn.vendor != "sqlite"
        or conn.in_atomic_block
        or any(s.alias != alias for s in statements)
    ):
        alone()
        return False
    group = _group(alias)
    job = _Job(statements)
    with group.lock:
        group.waiting.append(job)
        leads = not group.busy
        group.busy = True
    if not leads:
        try:
            job.done.wait()
        except BaseException:
            group.withdraw(job)
            raise
        if not job.lead:  # written with the others, or to be written alone
            return _outcome(job, alone)
    batch: list[_Job] = []
    commits = getattr(conn, "commits", None)  # core.backends.sqlite3 counts its COMMITs
    written, failure = False, None
    try:
        with group.lock:  # this job and every one handed in since the last group began
            batch, group.waiting = group.waiting, []
        written, failure = _write_group(conn, batch)
    except BaseException as exc:
        if commits is not None and getattr(conn, "commits", None) != commits:
            written, failure = True, exc  # interrupted after the commit
        raise
    finally:  # even on KeyboardInterrupt: nobody is left waiting
        with group.lock:
            if not batch and job in group.waiting:  # interrupted before taking the group
                group.waiting.remove(job)
            group.hand_on()
        for other in batch:
            other.written, other.failure = written, failure
            if other is not job:
                other.done.set()
    return _outcome(job, alone)


def _outcome(job: _Job, alone: Callable[[], None]) -> bool:
    failure = job.failure
    if failure is not None:
        if job.written:
            raise NotKnownSaved("committed, but not known to be on disk") from failure
        raise type(failure)(*failure.args) from failure  # each request its own exception
    if not job.written:
        alone()
    return job.written


def _write_group(conn: Any, batch: list[_Job]) -> tuple[bool, BaseException | None]:
    """(written, the failure every request meets) for one shared transaction."""
    commits = getattr(conn, "commits", None)
    try:
        with transaction.atomic(using=conn.alias):
            for job in batch:
                for statement in job.statements:
                    if statement.run() != statement.expected:
                        raise _NotAsExpected
    except Exception as exc:
        if commits is not None and conn.commits != commits:  # committed; its flush failed
            return True, exc
        if isinstance(exc, OperationalError):  # locked past the timeout: each would wait again
            return False, exc
        if not isinstance(exc, _NotAsExpected):
            log.warning("a shared transaction failed (%s); each request writes alone", exc)
        return False, None  # rolled back: each request writes alone and meets its own error
    return True, None


class _NotAsExpected(Exception):
    pass
