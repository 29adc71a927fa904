"""What the readiness probe checks: the database answers, and its schema is the code's."""

from __future__ import annotations

import logging
import time

from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.db.migrations.executor import MigrationExecutor

logger = logging.getLogger(__name__)

# Loading the migration graph costs milliseconds; a probe may come every few seconds from
# several places. Once applied, migrations stay applied while this code runs, so a positive
# answer is kept this long (a negative one never: ready as soon as `migrate` has run).
MIGRATIONS_CHECKED_FOR = 30.0
_migrated_until = {DEFAULT_DB_ALIAS: 0.0}


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
    except DatabaseError as error:
        logger.warning("Not ready: the database does not answer (%s).", type(error).__name__)
        return False
    if missing:
        logger.warning("Not ready: %d migration(s) not applied.", missing)
        return False
    _migrated_until[alias] = time.monotonic() + MIGRATIONS_CHECKED_FOR
    return True


def forget() -> None:
    """Check the migrations again at the next probe (tests)."""
    _migrated_until.clear()
