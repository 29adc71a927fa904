"""Django's PostgreSQL backend, with timestamps read by psycopg's own (compiled) loader.

Django registers a loader of its own for `timestamptz` on every connection (psycopg_any's
SpecificTzLoader): psycopg's pure-Python loader, then `replace(tzinfo=...)` with the
connection's time zone. psycopg's registry swaps a loader of its own for the compiled one of
psycopg[binary], but not a subclass, so every timestamp a query returns was parsed in Python:
about 7 us a value on this machine (an App's row has four, an App list's page 50 rows). With
Django's time zone UTC (USE_TZ, the database's TIME_ZONE unset: what the portal runs), the
connection's session is in UTC (Django sets it) and psycopg's own loader makes the same
value, an aware datetime in `datetime.timezone.utc`; so the connection gets psycopg's loader
back. Any other time zone keeps Django's loader.
"""

from __future__ import annotations

import datetime

import psycopg
from django.db.backends.postgresql import base
from psycopg.pq import Format

# The loader psycopg itself registers for timestamptz: the compiled one where psycopg[binary]
# (or [c]) is installed, its Python one otherwise.
PSYCOPG_LOADER = psycopg.adapters.get_loader(base.TIMESTAMPTZ_OID, Format.TEXT)


class UTCTimestamptzLoader:
    """psycopg's timestamptz loader, as Django's create_cursor sees it: a class whose
    `timezone` it compares with the connection's (so it registers no loader of its own on
    each cursor), whose instances are psycopg's own loader's. psycopg makes a loader by
    calling the registered class with the column's oid and the context."""

    format = Format.TEXT
    timezone = datetime.UTC

    def __new__(cls, oid, context=None):
        return PSYCOPG_LOADER(oid, context)


class DatabaseWrapper(base.DatabaseWrapper):
    def get_new_connection(self, conn_params):
        connection = super().get_new_connection(conn_params)
        if self.timezone == datetime.UTC:
            connection.adapters.register_loader(base.TIMESTAMPTZ_OID, UTCTimestamptzLoader)
        return connection
