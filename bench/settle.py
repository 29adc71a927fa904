"""The state a production database is in after its writes have settled, for the benchmark's
freshly seeded ones (the portal's and the stock project's)."""

from django.db import connection


def statement() -> str:
    """VACUUM ANALYZE on PostgreSQL, ANALYZE on SQLite: see settle."""
    return "VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE"


def settle() -> None:
    """Statistics for the planner, and on PostgreSQL the visibility map, which autovacuum sets
    in production (on by default) and which a server run with autovacuum off, as this machine's
    is, never sets. Without the visibility map PostgreSQL cannot answer a query from an index
    alone (the App list's facet counts from app_owner_facets: 0.40 ms for 1000 Apps, 0.85 ms
    read from the table)."""
    with connection.cursor() as cursor:
        cursor.execute(statement())
