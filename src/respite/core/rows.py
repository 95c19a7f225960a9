"""Whole rows by equality, and plain INSERTs, without the ORM's query building (issue 19).

On a worker's result page, Django spent several times longer building ``Screening.objects.get(...)``
(lookups, joins, the compiler) than SQLite took to answer it. ``rows`` writes the one statement such a
read needs, ``SELECT`` every column ``WHERE`` each given column equals its value, converts each value
with the converters the ORM itself would apply (UUIDs, JSON, booleans, dates: the backend's and the
field's, looked up once per model and database) and returns ordinary model instances (``from_db``).
``insert`` is the same for writes: one ``INSERT`` of new instances, each value prepared by its field
as ``save()`` would (defaults, coarsened times, encryption). Use them only on hot paths whose
statements are that simple.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar, cast

from django.db import connections, models, router

M = TypeVar("M", bound=models.Model)


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


class Insert:
    """One ``INSERT`` of new instances, its values already prepared (``prepare_insert``): ``run()``
    only sends it. Prepared before a transaction begins, it keeps the field work (defaults, JSON,
    encryption) out of the time the write lock is held (issue 19)."""

    __slots__ = ("alias", "objs", "params", "sql")

    def __init__(self, alias: str, sql: str, params: list[Any], objs: Sequence[models.Model]):
        self.alias, self.sql, self.params, self.objs = alias, sql, params, objs

    def run(self) -> int:
        """Send the statement; returns how many rows were written."""
        conn = connections[self.alias]
        with conn.cursor() as cursor:
            cursor.execute(self.sql, self.params)
            written = cursor.rowcount
        for obj in self.objs:
            obj._state.adding, obj._state.db = False, self.alias
        return written


def prepare_insert(objs: Sequence[models.Model], *, skip_taken_keys: bool = False) -> Insert | None:
    """``insert``'s statement, prepared but not sent (None for no instances). Values are read from
    the instances now: change them afterwards and prepare again."""
    if not objs:
        return None
    model = type(objs[0])
    meta = model._meta
    conn = connections[router.db_for_write(model)]
    q = conn.ops.quote_name
    fields = [f for f in meta.local_concrete_fields if f is not meta.auto_field]
    params: list[Any] = []
    for obj in objs:
        params.extend(f.get_db_prep_save(f.pre_save(obj, True), conn) for f in fields)
    one = "(" + ", ".join(["%s"] * len(fields)) + ")"
    columns = ", ".join(q(_column(f)) for f in fields)
    # Names from the model, quoted; every value is a parameter.
    sql = f"INSERT INTO {q(meta.db_table)} ({columns}) VALUES " + ", ".join([one] * len(objs))  # noqa: S608
    if skip_taken_keys:
        sql += f" ON CONFLICT ({q(_column(meta.pk))}) DO NOTHING"
    return Insert(conn.alias, sql, params, objs)


def insert(objs: Sequence[models.Model], *, skip_taken_keys: bool = False) -> int:
    """INSERT new instances of one model in one statement; returns how many rows were written.
    Unlike ``save()`` or ``bulk_create`` it sends no signals, reads no ids back (an auto-increment
    key stays None; give UUID keys their default) and wraps nothing in a savepoint: call it inside
    the caller's transaction. With ``skip_taken_keys`` a row whose primary key exists is left out
    (``ON CONFLICT DO NOTHING``, SQLite and PostgreSQL) instead of aborting the transaction."""
    statement = prepare_insert(objs, skip_taken_keys=skip_taken_keys)
    return statement.run() if statement is not None else 0
