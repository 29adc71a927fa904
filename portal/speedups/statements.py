"""Running the statements portal.speedups.prepared compiles: `read` one, `read_together`
several in one round trip, on PostgreSQL each through a cursor kept for it on the connection
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


def planned_once_cursor(db, sql: str, taken=()):
    """The psycopg cursor `sql` runs through on PostgreSQL, one per statement and connection,
    kept from one use to the next. Server-side binding, so psycopg prepares each statement on
    the server from its `prepare_threshold`-th use on the connection (the first: OPTIONS, in
    config/environment.py), and PostgreSQL plans it once per connection, not on every request
    (planning was most of what it spent on each hot query: the App with its secrets 0.2-0.6
    ms to plan, 0.05-0.15 ms to run); where preparing is off (prepare_threshold None: PgBouncer
    in transaction pooling mode) it still binds on the server and prepares nothing. Kept, the
    cursor is not made again for each statement, and psycopg reuses what it worked out for
    the statement's last run (its Transformer: the parameters' dumpers and each column's
    loader). A cursor in `taken` (another statement of the same pipeline) is not reused.
    Run with execute(), the rows fetched by the caller; never closed: a kept cursor holds its
    last answer's rows until its next run, and its connection's cursors are dropped once the
    connection is replaced (or past KEPT_CURSORS)."""
    import psycopg

    kept = db.__dict__.get("_kept_cursors")
    if kept is None or kept[0] is not db.connection:
        kept = db._kept_cursors = (db.connection, {})
    cursors = kept[1]
    cursor = cursors.get(sql)
    if cursor is None or cursor in taken:
        if len(cursors) >= KEPT_CURSORS:
            cursors.clear()
        cursor = psycopg.Cursor(db.connection)
        cursors.setdefault(sql, cursor)
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
    """A SELECT ready to run: its SQL and parameters, and what makes its answer of the rows
    fetched (Prepared.read, Shaped.read)."""

    sql: str
    params: list
    answer: Callable[[list], Any]

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
    another. On PostgreSQL they go to the server at once and their answers come back
    together: one round trip instead of one each (psycopg's pipeline mode: the statements
    are queued, then one Sync; the server runs them in order, in autocommit as one implicit
    transaction, so they see the same data). Elsewhere one after another: SQLite has no round
    trips to save, and with a libpq older than 14, which has no pipeline mode (psycopg[c]
    built on an older system's). An error in one statement raises it (as Django's exception)
    and the others' answers are dropped."""
    db = default_database()
    if db.vendor != "postgresql" or len(statements) < 2 or not _pipelines():
        return [read(statement) for statement in statements]
    db.ensure_connection()
    cursors = []
    with db.wrap_database_errors, db.connection.pipeline():
        for statement in statements:
            cursors.append(planned_once_cursor(db, statement.sql, taken=cursors))
            execute(db, cursors[-1], statement.sql, statement.params)
    with db.wrap_database_errors:
        rows = [cursor.fetchall() for cursor in cursors]
    return [s.answer(r) for s, r in zip(statements, rows, strict=True)]


@functools.cache
def _pipelines() -> bool:
    """Whether the libpq psycopg runs on has pipeline mode (14 and later)."""
    import psycopg

    return psycopg.Pipeline.is_supported()


class _LoggedCursor(CursorDebugWrapper):
    """Django's query log (tests, DEBUG) for a server-bound cursor: the statement as
    client-side binding would have sent it (Django's compose_sql), since psycopg keeps no
    text of a statement bound on the server."""

    def execute(self, sql, params=None):
        with self.debug_sql(self.db.ops.compose_sql(sql, params)):
            return CursorWrapper.execute(self, sql, params)
