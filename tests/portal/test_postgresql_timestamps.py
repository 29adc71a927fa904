"""On PostgreSQL, timestamps are read by psycopg's own loader (portal/speedups/postgresql):
the same values, in the same time zone, as Django's loader reads them."""

import datetime
import zoneinfo

import pytest
from django.db import connection
from django.db.backends.postgresql.base import TIMESTAMPTZ_OID
from django.db.backends.postgresql.psycopg_any import register_tzloader
from django.test import override_settings
from psycopg.adapt import Transformer
from psycopg.pq import Format

from apps_registry.models import App
from portal.speedups.postgresql.base import PSYCOPG_LOADER

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif("connection.vendor != 'postgresql'", reason="PostgreSQL's loaders"),
]

UTC = datetime.UTC
VALUES = [
    datetime.datetime(2026, 12, 5, 3, 55, 43, 313571, tzinfo=UTC),
    datetime.datetime(2026, 3, 29, 1, 30, tzinfo=zoneinfo.ZoneInfo("Europe/Bucharest")),
    datetime.datetime(1969, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
    datetime.datetime(1, 1, 1, tzinfo=UTC),
    datetime.datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
]


def read(value, *, djangos: bool = False):
    with connection.cursor() as cursor:
        if djangos:
            register_tzloader(connection.timezone, cursor.cursor)
        cursor.execute("SELECT %s::timestamptz", [value])
        return cursor.fetchone()[0]


@pytest.mark.parametrize("value", VALUES, ids=str)
def test_a_timestamp_reads_as_djangos_loader_reads_it(value):
    read_back, djangos = read(value), read(value, djangos=True)
    assert read_back == djangos == value
    assert read_back.tzinfo is djangos.tzinfo is UTC


def test_a_models_timestamps_read_back_in_utc(web_app):
    stored = App.objects.get(pk=web_app.pk)
    assert stored.created == web_app.created
    assert stored.created.tzinfo is UTC


def test_without_time_zones_timestamps_read_naive_as_django_reads_them():
    with override_settings(USE_TZ=False):
        value = read(datetime.datetime(2026, 12, 5, 3, 55, 43))
    assert value == datetime.datetime(2026, 12, 5, 3, 55, 43)
    assert value.tzinfo is None


def test_the_connection_reads_timestamps_with_psycopgs_own_loader():
    with connection.cursor() as cursor:
        loader = Transformer(cursor.cursor).get_loader(TIMESTAMPTZ_OID, Format.TEXT)
    assert type(loader) is PSYCOPG_LOADER  # not Django's SpecificTzLoader
