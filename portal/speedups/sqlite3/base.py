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
"""

from __future__ import annotations

import contextlib
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
