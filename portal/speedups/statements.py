"""Running the statements portal.speedups.prepared compiles: `read` one, `read_together`
several as one statement, on PostgreSQL each through a cursor kept for it on the connection
(`planned_once_cursor`), so the server plans it once per connection and psycopg reuses what it
worked out for it. portal/speedups/__init__.py says what each buys and costs."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, NamedTuple

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.utils import CursorDebugWrapper, CursorWrapper


def default_database():
    """The default database's own wrapper, read once by a function that uses it many times:
    each attribute read through `django.db.connection` looks the wrapper up again in a
    thread-local (asgiref's Local, about a microsecond each), and a token request read a few
    dozen (make bench, P1)."""
    return connections[DEFAULT_DB_ALIAS]


# At most this many statements' cursors kept per connection (the hot paths run about ten; the
# App list a few per shape): past it they are all dropped and made again as they are used.
KEPT_CURSORS = 64


def planned_once_cursor(db, sql: str):
    """The psycopg cursor `sql` runs through on PostgreSQL, one per statement and connection,
    kept from one use to the next. Server-side binding, so psycopg prepares each statement on
    the server from its `prepare_threshold`-th use on the connection (the first: OPTIONS, in
    config/environment.py), and PostgreSQL plans it once per connection, not on every request
    (planning was most of what it spent on each hot query: the App with its secrets 0.2-0.6
    ms to plan, 0.05-0.15 ms to run); where preparing is off (prepare_threshold None: PgBouncer
    in transaction pooling mode) it still binds on the server and prepares nothing. Kept, the
    cursor is not made again for each statement, and psycopg reuses what it worked out for
    the statement's last run (its Transformer: the parameters' dumpers and each column's
    loader). Run with execute(), the rows fetched by the caller; never closed: a kept cursor
    holds its last answer's rows until its next run, and its connection's cursors are
    dropped once the connection is replaced (or past KEPT_CURSORS)."""
    import psycopg

    kept = db.__dict__.get("_kept_cursors")
    if kept is None or kept[0] is not db.connection:
        kept = db._kept_cursors = (db.connection, {})
    cursors = kept[1]
    cursor = cursors.get(sql)
    if cursor is None:
        if len(cursors) >= KEPT_CURSORS:
            cursors.clear()
        cursor = cursors[sql] = psycopg.Cursor(db.connection)
    return cursor


def execute(db, cursor, sql: str, params) -> None:
    """`cursor.execute` as Django's cursor wrapper does it (a transaction broken by an error is
    refused, the driver's errors raised as Django's) and, when something watches the queries
    (the query log of tests and DEBUG, connection.execute_wrapper), through Django's wrapper
    itself, so they see these statements as any other. Without a watcher the wrapper is
    skipped (15-25 us a statement)."""
    if db.queries_logged or db.execute_wrappers:
        wrapped = _LoggedCursor(cursor, db) if db.queries_logged else db.make_cursor(cursor)
        wrapped.execute(sql, params)
    else:
        db.validate_no_broken_transaction()
        with db.wrap_database_errors:
            cursor.execute(sql, params)


def run(db, sql: str, params, *, one: bool = False):
    """`sql`'s rows (`one`: its first row, or None) on PostgreSQL, through its
    planned_once_cursor."""
    db.ensure_connection()
    cursor = planned_once_cursor(db, sql)
    execute(db, cursor, sql, params)
    with db.wrap_database_errors:
        return cursor.fetchone() if one else cursor.fetchall()


class Read(NamedTuple):
    """A SELECT ready to run: its SQL and parameters, what makes its answer of the rows
    fetched (Prepared.read, Shaped.read), and its columns as NULLs of their types
    (prepared.typed_nulls), which read_together() pads the others' rows with."""

    sql: str
    params: list
    answer: Callable[[list], Any]
    nulls: tuple[str, ...]

    def then(self, function: Callable) -> Read:
        """The same statement, its answer passed through `function`."""
        return self._replace(answer=lambda rows, answer=self.answer: function(answer(rows)))


def read(statement: Read):
    """A statement's answer (on PostgreSQL through its planned_once_cursor)."""
    db = default_database()
    if db.vendor != "postgresql":
        with db.cursor() as cursor:
            cursor.execute(statement.sql, statement.params)
            return statement.answer(cursor.fetchall())
    return statement.answer(run(db, statement.sql, statement.params))


def read_together(*statements: Read) -> list:
    """Each statement's answer, as read() gives it, for reads that do not depend on one
    another, read by one statement: their SELECTs as the branches of a UNION ALL, each row
    numbered by its branch and given typed NULLs where the other branches' columns go
    (together()). One execution, one round trip, one snapshot. A row order is the one thing
    it does not keep: SQL promises none for a UNION ALL, and SQLite's planner may drop a
    subquery's ORDER BY there, so a statement whose answer depends on its rows' order sorts
    them in its answer (the App's live secrets do: oauth/clients.py). An error in one
    statement is the whole statement's (raised as Django's exception)."""
    if len(statements) < 2:
        return [read(statement) for statement in statements]
    sql, starts = together(tuple((statement.sql, statement.nulls) for statement in statements))
    rows = read(Read(sql, [param for statement in statements for param in statement.params], list, ()))
    return [
        statement.answer([row[start : start + len(statement.nulls)] for row in rows if row[0] == i])
        for i, (statement, start) in enumerate(zip(statements, starts, strict=True))
    ]


@functools.lru_cache(maxsize=64)
def together(statements: tuple[tuple[str, tuple[str, ...]], ...]) -> tuple[str, tuple[int, ...]]:
    """The UNION ALL of statements given as their SQL and typed NULLs, and where each one's
    columns start in its rows (after the branch's number): `SELECT 0, s.*, NULL::text FROM
    (first) AS s UNION ALL SELECT 1, NULL::bigint, ..., s.* FROM (second) AS s`."""
    branches, starts, start = [], [], 1
    for i, (sql, own) in enumerate(statements):
        before = [null for _sql, nulls in statements[:i] for null in nulls]
        after = [null for _sql, nulls in statements[i + 1 :] for null in nulls]
        columns = ", ".join([str(i), *before, "s.*", *after])
        branches.append(f"SELECT {columns} FROM ({sql}) AS s")  # noqa: S608 - compiled SQL, values bound
        starts.append(start)
        start += len(own)
    return " UNION ALL ".join(branches), tuple(starts)


class _LoggedCursor(CursorDebugWrapper):
    """Django's query log (tests, DEBUG) for a server-bound cursor: the statement as
    client-side binding would have sent it (Django's compose_sql), since psycopg keeps no
    text of a statement bound on the server."""

    def execute(self, sql, params=None):
        with self.debug_sql(self.db.ops.compose_sql(sql, params)):
            return CursorWrapper.execute(self, sql, params)
