"""Queries the ORM compiles once per process instead of on every request (make bench, issue 18).

On the hot paths (the token endpoint, /uapi/@me, introspection) compiling a query cost more
than running it. `Prepared` keeps a values_list query's SQL, with where its one varying
parameter goes, and reads its rows with the ORM's own converters; `insert` saves a new row
with the INSERT the ORM would write, compiled once per model. Both answer exactly what the
ORM would; only the compiling is skipped. They run through portal.speedups.statements: on
PostgreSQL each through its `planned_once_cursor`, so the server plans each once per connection too.
"""

from __future__ import annotations

import contextlib
import functools
from datetime import UTC, datetime
from typing import NamedTuple

from django.db import connection, transaction
from django.db.models import signals
from django.db.models.sql import InsertQuery

from .statements import Read, default_database, read, run

# Values no checksum, key or id ever takes: where a prepared query's parameter goes.
TEXT_MARK = "\x01prepared\x01"
ID_MARK = -(2**62)


def column_converters(columns) -> tuple:
    """The columns whose values the ORM converts (a datetime or JSON held as text by SQLite, a
    boolean held as 0/1), each as its place in the row, the column and its converters; the
    others are read as the database gives them (most of a row: a changelist row has 10
    columns, 4 of them converted)."""
    converted = []
    for at, column in enumerate(columns):
        functions = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
        if functions:
            converted.append((at, column, tuple(functions)))
    return tuple(converted)


def typed_nulls(columns) -> tuple[str, ...]:
    """Each column as a NULL of its type, with which read_together() pads the other statements'
    rows where this one's columns go: PostgreSQL resolves a UNION's column types pair by pair,
    so two untyped NULLs would be taken for text (then refused beside a bigint). SQLite's NULL
    has no type."""
    if connection.vendor != "postgresql":
        return tuple("NULL" for _column in columns)
    return tuple(f"NULL::{column.output_field.cast_db_type(connection)}" for column in columns)


def convert(row, converters) -> list:
    values = list(row)
    for at, column, functions in converters:
        value = values[at]
        for function in functions:
            value = function(value, column, connection)
        values[at] = value
    return values


def _tuples(converters, rows) -> list[tuple]:
    return [tuple(convert(row, converters)) for row in rows]


def _first(converters, rows) -> tuple | None:
    return tuple(convert(rows[0], converters)) if rows else None


def _dicts(names, converters, rows) -> list[dict]:
    return [dict(zip(names, convert(row, converters), strict=True)) for row in rows]


class Prepared(NamedTuple):
    """A values_list query compiled once: its SQL, its parameters with where the one that
    varies goes (given as `mark` when building), each column's converters, and its columns as
    typed NULLs."""

    sql: str
    params: tuple
    at: int
    converters: tuple
    nulls: tuple[str, ...]

    @classmethod
    def build(cls, queryset, mark=TEXT_MARK) -> Prepared:
        compiler = queryset.query.get_compiler(connection=connection)
        sql, params = compiler.as_sql()
        assert params.count(mark) == 1, params  # the varying one; the others are constants
        columns = [column for column, _sql, _alias in compiler.select]
        return cls(sql, tuple(params), params.index(mark), column_converters(columns), typed_nulls(columns))

    def row(self, value) -> tuple | None:
        """The first row for `value`, or None."""
        return read(self.read(value, first=True))

    def rows(self, value) -> list[tuple]:
        """Every row for `value`."""
        return read(self.read(value))

    def read(self, value, *, first: bool = False) -> Read:
        """The statement for `value`, to run with read() or read_together(): its answer is
        rows() or, `first`, row()."""
        answer = _first if first else _tuples
        return Read(self.sql, self._params(value), functools.partial(answer, self.converters), self.nulls)

    def _params(self, value) -> list:
        return [*self.params[: self.at], value, *self.params[self.at + 1 :]]


# Per (database vendor, model): the compiled INSERT, or None where it cannot be reused.
_inserts: dict[tuple[str, type], tuple | None] = {}


def _insert_statement(model: type, sample) -> tuple | None:
    """The INSERT of one new `model` row (every concrete field but the automatic primary key),
    returning the fields the database fills in, as the ORM compiles it for `sample`, the first
    object saved (later ones get the same SQL: the values are parameters); None when a value
    of the sample is not a plain parameter (a database default, an expression), so the
    statement could differ from one object to the next."""
    meta = model._meta
    fields = tuple(f for f in meta.local_concrete_fields if not f.generated and f is not meta.auto_field)
    query = InsertQuery(model)
    query.insert_values(fields, [sample])
    compiler = query.get_compiler(connection=connection)
    compiler.returning_fields = meta.db_returning_fields
    [(sql, params)] = compiler.as_sql()
    if len(params) != len(fields) or sql.count("%s") != len(fields):
        return None
    returning = [field.get_col(meta.db_table) for field in meta.db_returning_fields]
    asynchronous = _asynchronous(sql) if connection.vendor == "postgresql" else None
    return sql, asynchronous, fields, (returning, column_converters(returning))


# What an INSERT that may commit without waiting for its WAL flush (insert(..., flush=False))
# reads its values from: one row, made by turning synchronous_commit off for the statement's
# own transaction (set_config's is_local), in autocommit the INSERT's. One statement, so it
# is bound and prepared on the server as the hot SELECTs are (planned_once_cursor).
ASYNCHRONOUS_COMMIT = "SELECT set_config('synchronous_commit', 'off', true)"


def _asynchronous(sql: str) -> str:
    """`INSERT INTO t (...) VALUES (%s, ...) RETURNING ...` as `INSERT INTO t (...) SELECT %s,
    ... FROM (ASYNCHRONOUS_COMMIT) RETURNING ...` (PostgreSQL types the values by their
    columns, as it does VALUES')."""
    head, values = sql.split(" VALUES (", 1)
    values, returning = values.rsplit(") RETURNING ", 1)
    # The ORM's own compiled SQL, rearranged: no value is put in the text.
    source = f"({ASYNCHRONOUS_COMMIT}) AS asynchronous_commit"
    return f"{head} SELECT {values} FROM {source} RETURNING {returning}"  # noqa: S608


def _may_skip_flush(db) -> bool:
    """PostgreSQL in autocommit, where the INSERT is a transaction of its own."""
    return db.vendor == "postgresql" and not db.in_atomic_block


def insert(obj, *, flush: bool = True) -> None:
    """`obj.save()` for a new row whose primary key the database assigns, with the INSERT
    compiled once per model: the same values (each field's pre_save and database value), the
    same errors (the database's, as Django's exceptions), the primary key set after. A model
    with save-signal receivers, or a database that cannot return the new key, is saved the
    ORM's way.

    `flush=False`: on PostgreSQL in autocommit, the INSERT commits without waiting for its
    WAL to reach the disk (synchronous_commit off for this one transaction: ASYNCHRONOUS_COMMIT),
    bound and prepared on the server (planned_once_cursor).
    The row is visible at once, as any other; only a crash of PostgreSQL itself within about
    600 ms (3 x wal_writer_delay) can lose it, and any later synchronous commit (a revocation,
    say) flushes it first. For rows whose loss the client recovers from (an access token: its
    next call is refused, and it asks again)."""
    model = type(obj)
    db = default_database()
    statement = None
    if (
        obj.pk is None
        and db.features.can_return_columns_from_insert
        and not signals.pre_save.has_listeners(model)
        and not signals.post_save.has_listeners(model)
    ):
        key = (db.vendor, model)
        if key not in _inserts:
            _inserts[key] = _insert_statement(model, obj)
        statement = _inserts[key]
    if statement is None:
        obj.save()
        return
    sql, asynchronous, fields, returning = statement
    params = [field.get_db_prep_save(field.pre_save(obj, True), connection=db) for field in fields]
    if not flush and _may_skip_flush(db):
        row = run(db, asynchronous, params, one=True)
    else:
        # SQLite's writers queue for its one write lock at their BEGIN (portal.speedups.sqlite3);
        # a statement in autocommit would wait in SQLite's own busy handler instead, asleep for
        # 1, 2, 5, 10... ms whatever happens meanwhile. There BEGIN and COMMIT cost no round trip.
        queued = db.vendor == "sqlite" and not db.in_atomic_block
        with transaction.atomic() if queued else contextlib.nullcontext(), db.cursor() as cursor:
            cursor.execute(sql, params)
            row = cursor.fetchone()
    returning, converters = returning
    for value, column in zip(convert(row, converters), returning, strict=True):
        setattr(obj, column.target.attname, value)
    obj._state.adding = False
    obj._state.db = db.alias


def _mark(i: int, value):
    """A stand-in for the i-th varying value of a query, of the same type."""
    if isinstance(value, datetime):
        return datetime(1901, 1, 1, 0, 0, 0, i + 1, tzinfo=UTC)
    if isinstance(value, str):
        return f"\x01mark{i}\x01"
    if isinstance(value, int) and not isinstance(value, bool):
        return ID_MARK - i
    raise TypeError(f"no mark for {type(value).__name__}")


def _adapt(value):
    """A varying value as the ORM passes it to the database (a datetime as SQLite's text)."""
    return connection.ops.adapt_datetimefield_value(value) if isinstance(value, datetime) else value


class Shaped:
    """Queries of several shapes, each compiled once per process: `build(key, **values)` makes
    the queryset (values() or values_list()) for the varying `values` (ints, strings,
    datetimes, or lists of them), and `key` (hashable) is whatever else decides its SQL (an
    order, the filters in force, a page's offset, the day that date filters count from).
    The first call of a shape builds it with stand-ins for the values and finds them again
    among the compiled parameters (a string also inside a LIKE pattern, as icontains writes
    it); later calls put the new values there. Rows are read with the ORM's converters, as
    values() would: dicts, or tuples (`named=False`); on PostgreSQL through
    planned_once_cursor, so each shape is planned once per connection."""

    def __init__(self, build, *, named: bool = True, size: int = 512) -> None:
        self.build, self.named, self.size = build, named, size
        self.compiled: dict = {}

    def _compile(self, key, values: dict) -> tuple:
        marks, flat = {}, []
        for name, value in values.items():
            if isinstance(value, list | tuple):
                marks[name] = [_mark(len(flat) + j, v) for j, v in enumerate(value)]
                flat.extend(marks[name])
            else:
                marks[name] = _mark(len(flat), value)
                flat.append(marks[name])
        query = self.build(key, **marks).query
        compiler = query.get_compiler(connection=connection)
        sql, params = compiler.as_sql()
        adapted = [_adapt(mark) for mark in flat]
        slots, found = [], set()
        for at, param in enumerate(params):
            for i, mark in enumerate(adapted):
                if param == mark:
                    slots.append((at, i, None))
                elif isinstance(param, str) and isinstance(mark, str) and mark in param:
                    slots.append((at, i, param))  # a LIKE pattern around the value
                else:
                    continue
                found.add(i)
                break
        assert found == set(range(len(flat))), (sql, params)  # every value goes somewhere
        names = (*query.extra_select, *query.values_select, *query.annotation_select)
        columns = [column for column, _sql, _alias in compiler.select]
        converters, nulls = column_converters(columns), typed_nulls(columns)
        return sql, tuple(params), tuple(slots), names, converters, adapted, nulls

    def rows(self, key, **values) -> list:
        return read(self.read(key, **values))

    def read(self, key, **values) -> Read:
        """The statement for this shape and these values, to run with read() or
        read_together(): its answer is rows()'s."""
        shape = (connection.vendor, key, *(len(v) for v in values.values() if isinstance(v, list | tuple)))
        compiled = self.compiled.get(shape)
        if compiled is None:
            if len(self.compiled) >= self.size:
                self.compiled.clear()
            compiled = self.compiled[shape] = self._compile(key, values)
        sql, params, slots, names, converters, adapted, nulls = compiled
        flat = [v for x in values.values() for v in (x if isinstance(x, list | tuple) else [x])]
        params = list(params)
        for at, i, pattern in slots:
            value = flat[i]
            if pattern is None:
                params[at] = _adapt(value)
            else:
                params[at] = pattern.replace(adapted[i], connection.ops.prep_for_like_query(value))
        answer = functools.partial(_dicts, names) if self.named else _tuples
        return Read(sql, params, functools.partial(answer, converters), nulls)
