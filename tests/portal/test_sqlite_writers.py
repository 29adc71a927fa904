"""SQLite's writers queue at the backend's lock file (portal/speedups/sqlite3): a second writer
starts as soon as the first commits, sees its row, and never fails while the wait is within
the timeout; past it, the database is "locked" as SQLite would say, and nothing is written."""

import threading
import time

import pytest
from django.db import OperationalError, connection, connections, transaction

from apps_registry.models import ConsumedRegistration as Row

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif("connection.vendor != 'sqlite'", reason="SQLite's writers only"),
]


def hold_the_write_lock(held: threading.Event, release: threading.Event, name: str):
    """In another thread (its own connection): a transaction that writes, then waits."""
    try:
        with transaction.atomic():
            Row.objects.create(nonce=name)
            held.set()
            release.wait(10)
    finally:
        connections.close_all()


def test_a_second_writer_waits_for_the_first_commit_and_sees_its_row():
    held, release = threading.Event(), threading.Event()
    other = threading.Thread(target=hold_the_write_lock, args=(held, release, "first"))
    other.start()
    assert held.wait(10)
    threading.Timer(0.3, release.set).start()
    started = time.monotonic()
    with transaction.atomic():
        waited = time.monotonic() - started
        assert Row.objects.filter(nonce="first").exists()
        Row.objects.create(nonce="second")
    other.join()
    assert waited >= 0.2  # it queued behind the first...
    assert set(Row.objects.values_list("nonce", flat=True)) == {"first", "second"}  # ...and both wrote


def test_past_the_timeout_the_database_is_locked_and_nothing_is_written():
    held, release = threading.Event(), threading.Event()
    other = threading.Thread(target=hold_the_write_lock, args=(held, release, "holder"))
    other.start()
    assert held.wait(10)
    options = connection.settings_dict["OPTIONS"]
    timeout = options.get("timeout")
    options["timeout"] = 0.2
    try:
        with pytest.raises(OperationalError, match="database is locked"), transaction.atomic():
            Row.objects.create(nonce="never")
    finally:
        options["timeout"] = timeout
        release.set()
        other.join()
    assert not Row.objects.filter(nonce="never").exists()
    with transaction.atomic():  # the lock was not left behind by the failed attempt
        Row.objects.create(nonce="after")


def test_a_writing_transaction_holds_the_lock_file_until_it_ends():
    import fcntl
    import os

    from portal.speedups.sqlite3.base import writer_lock_path

    def lock_is_free() -> bool:
        descriptor = os.open(writer_lock_path(connection.settings_dict["NAME"]), os.O_RDWR | os.O_CREAT)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        finally:
            os.close(descriptor)  # closing releases a lock it took
        return True

    assert lock_is_free()
    with transaction.atomic():
        assert not lock_is_free()
        with transaction.atomic():  # a savepoint: still the one lock
            Row.objects.create(nonce="inside")
        assert not lock_is_free()
    assert lock_is_free()
    with pytest.raises(ZeroDivisionError), transaction.atomic():
        Row.objects.create(nonce="rolled back")
        1 / 0  # noqa: B018
    assert lock_is_free()
    assert list(Row.objects.values_list("nonce", flat=True)) == ["inside"]
