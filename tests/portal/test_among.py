"""portal.speedups.among: `Among(column, ids)` keeps the rows `column__in=ids` keeps, on both
databases, alone and inside a subquery; on PostgreSQL as one array parameter, so psycopg
converts the statement's placeholders once per process whatever the number of ids."""

import pytest
from django.db import connection

from apps_registry.models import App
from portal.speedups.among import Among
from tests.factories import AppFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def apps(demo):
    return [AppFactory(owner=demo["organization"]) for _ in range(4)]


@pytest.mark.parametrize("pick", [[], [0], [1, 3], [0, 1, 2, 3]])
def test_among_keeps_what_in_keeps(apps, pick):
    ids = [apps[i].pk for i in pick] + [-7]  # and one no App has
    expected = set(App.objects.filter(pk__in=ids).values_list("pk", flat=True))
    assert set(App.objects.filter(Among("pk", ids)).values_list("pk", flat=True)) == expected
    assert {apps[i].pk for i in pick} == expected
    # Inside a subquery, and negated, as the App list's count of live tokens uses it.
    inner = App.objects.filter(Among("pk", ids)).values("pk")
    assert set(App.objects.filter(pk__in=inner).values_list("pk", flat=True)) == expected
    assert not set(App.objects.exclude(Among("pk", ids)).values_list("pk", flat=True)) & expected


def test_among_a_subquery_keeps_what_in_keeps(apps):
    """Among the ids a one-column queryset selects, a page of them as the App list asks."""
    page = App.objects.filter(owner=apps[0].owner).order_by("-pk").values("pk")[1:3]
    assert list(App.objects.filter(Among("pk", page)).order_by("-pk")) == [apps[2], apps[1]]
    assert list(App.objects.filter(Among("pk", page.none()))) == []
    if connection.vendor == "postgresql":  # looked up by the key's index, not joined
        assert '"id" = ANY(ARRAY(SELECT' in str(App.objects.filter(Among("pk", page)).query)


def test_among_nothing_keeps_nothing(apps):
    assert list(App.objects.filter(Among("pk", []))) == []
    assert App.objects.exclude(Among("pk", [])).count() == App.objects.count()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's arrays")
def test_on_postgresql_the_ids_are_one_array_parameter():
    sql, params = App.objects.filter(Among("pk", list(range(1, 61)))).query.sql_with_params()
    assert "= ANY(%s::bigint[])" in sql and params == (list(range(1, 61)),)
