"""The SQLite backend's cursors convert each query text to SQLite's placeholders once
(portal/speedups/sqlite3): the same text Django's own cursor sends, the same answers."""

import pytest
from django.db import connection
from django.db.backends.sqlite3.base import SQLiteCursorWrapper as DjangoCursor

from apps_registry.models import ConsumedRegistration as Row
from portal.speedups.sqlite3.base import SQLiteCursorWrapper, _qmark_style

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif("connection.vendor != 'sqlite'", reason="SQLite's cursors only"),
]

QUERIES = [
    "SELECT 1",
    "SELECT %s",
    "SELECT %s, %s WHERE %s = %s",
    "SELECT '100%%' || %s",
    "SELECT '%%s' || %s",
    "SELECT '%%%s' || %s",
    "SELECT %s LIKE '%%x%%'",
]


@pytest.mark.parametrize("query", QUERIES)
def test_each_query_text_is_converted_as_djangos_cursor_converts_it(query):
    connection.ensure_connection()
    django_cursor = connection.connection.cursor(factory=DjangoCursor)
    portal_cursor = connection.connection.cursor(factory=SQLiteCursorWrapper)
    assert portal_cursor.convert_query(query) == django_cursor.convert_query(query)


def test_named_parameters_are_converted_as_django_does():
    with connection.cursor() as cursor:
        cursor.execute("SELECT %(a)s || '%%' || %(b)s", {"a": "x", "b": "y"})
        assert cursor.fetchone() == ("x%y",)


def test_a_query_run_again_is_not_converted_again_and_answers_the_same():
    Row.objects.create(nonce="100% sure")
    query = "SELECT nonce FROM apps_registry_consumedregistration WHERE nonce LIKE '100%%' AND nonce = %s"
    with connection.cursor() as cursor:
        cursor.execute(query, ["100% sure"])
        first = cursor.fetchall()
        converted = _qmark_style.cache_info().hits
        cursor.execute(query, ["100% sure"])
        assert cursor.fetchall() == first == [("100% sure",)]
    assert _qmark_style.cache_info().hits == converted + 1
