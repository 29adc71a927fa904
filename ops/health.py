"""What the readiness probe checks: the database answers, its schema is the code's, and what
the rooms above register (readiness_check) holds: e.g. the stored App secrets decrypt with
APP_SECRET_KEYS (apps_registry.checks)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.db.migrations.executor import MigrationExecutor

logger = logging.getLogger(__name__)

# Loading the migration graph costs milliseconds; a probe may come every few seconds from
# several places. Once applied, migrations stay applied while this code runs, so a positive
# answer is kept this long (a negative one never: ready as soon as `migrate` has run).
MIGRATIONS_CHECKED_FOR = 30.0
_migrated_until = {DEFAULT_DB_ALIAS: 0.0}


# Checks of the rooms above this one (each registers its own in its AppConfig.ready): each
# returns why the process is not ready, or None. Run with the migrations check, on the
# database, and their positive answers kept as long.
_readiness_checks: list[Callable[[], str | None]] = []


def readiness_check(check: Callable[[], str | None]) -> Callable[[], str | None]:
    """Make `check` part of readiness (once, however often it is registered)."""
    if check not in _readiness_checks:
        _readiness_checks.append(check)
    return check


def unapplied_migrations(alias: str = DEFAULT_DB_ALIAS) -> int:
    """How many of the code's migrations the database lacks."""
    executor = MigrationExecutor(connections[alias])
    return len(executor.migration_plan(executor.loader.graph.leaf_nodes()))


def database_ready(alias: str = DEFAULT_DB_ALIAS) -> bool:
    """The database answers a query and has every migration applied; why not is logged."""
    try:
        with connections[alias].cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        if time.monotonic() < _migrated_until.get(alias, 0.0):
            return True
        missing = unapplied_migrations(alias)
        if missing:
            logger.warning("Not ready: %d migration(s) not applied.", missing)
            return False
        problems = [problem for check in _readiness_checks if (problem := check())]
    except DatabaseError as error:
        logger.warning("Not ready: the database does not answer (%s).", type(error).__name__)
        return False
    if problems:
        logger.warning("Not ready: %s", " ".join(problems))
        return False
    _migrated_until[alias] = time.monotonic() + MIGRATIONS_CHECKED_FOR
    return True


def forget() -> None:
    """Check the migrations again at the next probe (tests)."""
    _migrated_until.clear()
