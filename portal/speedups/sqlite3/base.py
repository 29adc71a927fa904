"""Django's SQLite backend, with the writers of a database file queued at a lock of their own.

SQLite lets one transaction write at a time. With `transaction_mode` IMMEDIATE a second
writer's BEGIN waits in SQLite's busy handler, which sleeps 1, 2, 5, 10... ms between tries
whatever happens meanwhile: two gunicorn workers issuing tokens (a write of a fraction of a
millisecond each) spent a fifth of their time asleep (make bench, P1). Here a transaction
first takes an exclusive `flock` on `<database>-writer.lock`, retried every 50 us to 1 ms, so
a waiting writer starts within a millisecond of the other's COMMIT; it then takes SQLite's
write lock, which is free. The wait is bounded by the same `timeout` as SQLite's (the
database is then "locked", as SQLite would say). A database in memory, or a platform without
flock, is left to SQLite alone. Writes outside a transaction (autocommit) still wait in
SQLite's handler, as before.

Its cursors also keep what Django makes of a query for SQLite (its %s placeholders as ?),
which Django redoes on every execute with a regular expression over the whole text: 23-26 us
for the App read of the token endpoint and introspection (2.2-2.5 KB of SQL), a tenth of an
introspection request (make bench, P7). Kept per query text for the last QUERY_TEXTS texts
seen (functools' lru_cache; at most about 2 MB for queries of that size), the same
conversion, done once.
"""

from __future__ import annotations

import contextlib
import functools
import os
import time

from django.db import OperationalError
from django.db.backends.sqlite3 import base, creation

try:
    import fcntl
except ImportError:  # not on this platform: SQLite's own waiting
    fcntl = None

FIRST_PAUSE = 0.00005
LONGEST_PAUSE = 0.001
QUERY_TEXTS = 512


@functools.lru_cache(maxsize=QUERY_TEXTS)
def _qmark_style(query: str) -> str:
    """Django's SQLiteCursorWrapper.convert_query of a "format"-style query, its line as is
    (tests/portal/test_sqlite_queries.py holds them equal)."""
    return base.FORMAT_QMARK_REGEX.sub("?", query).replace("%%", "%")


class SQLiteCursorWrapper(base.SQLiteCursorWrapper):
    """Django's cursor, converting each query text once (_qmark_style)."""

    def convert_query(self, query, *, param_names=None):
        if param_names is not None:
            return super().convert_query(query, param_names=param_names)
        return _qmark_style(query)


def writer_lock_path(name) -> str:
    return f"{name}-writer.lock"


class DatabaseCreation(creation.DatabaseCreation):
    def _destroy_test_db(self, test_database_name, verbosity):
        """As Django's, and the test database's lock file goes with it."""
        super()._destroy_test_db(test_database_name, verbosity)
        if not self.is_in_memory_db(test_database_name):
            with contextlib.suppress(FileNotFoundError):
                os.remove(writer_lock_path(test_database_name))


class DatabaseWrapper(base.DatabaseWrapper):
    creation_class = DatabaseCreation
    _writer_lock: int | None = None
    _holds_writer_lock = False

    def create_cursor(self, name=None):
        return self.connection.cursor(factory=SQLiteCursorWrapper)

    def _writer_lock_file(self) -> int | None:
        if fcntl is None or self.transaction_mode not in ("IMMEDIATE", "EXCLUSIVE") or self.is_in_memory_db():
            return None  # a deferred BEGIN writes nothing yet: nothing to queue for
        if self._writer_lock is None:
            path = writer_lock_path(self.settings_dict["NAME"])
            self._writer_lock = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        return self._writer_lock

    def _acquire_writer_lock(self) -> None:
        descriptor = self._writer_lock_file()
        if descriptor is None:
            return
        timeout = self.settings_dict["OPTIONS"].get("timeout", 5)
        deadline, pause = time.monotonic() + timeout, FIRST_PAUSE
        while True:
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise OperationalError("database is locked") from None
                time.sleep(pause)
                pause = min(pause * 2, LONGEST_PAUSE)
            else:
                self._holds_writer_lock = True
                return

    def _release_writer_lock(self) -> None:
        if self._holds_writer_lock:
            self._holds_writer_lock = False
            fcntl.flock(self._writer_lock, fcntl.LOCK_UN)

    def _start_transaction_under_autocommit(self):
        self._acquire_writer_lock()
        try:
            super()._start_transaction_under_autocommit()
        except BaseException:
            self._release_writer_lock()
            raise

    def _commit(self):
        try:
            return super()._commit()
        finally:
            self._release_writer_lock()

    def _rollback(self):
        try:
            return super()._rollback()
        finally:
            self._release_writer_lock()

    def _close(self):
        try:
            return super()._close()
        finally:
            self._release_writer_lock()
            if self._writer_lock is not None:
                os.close(self._writer_lock)
                self._writer_lock = None
