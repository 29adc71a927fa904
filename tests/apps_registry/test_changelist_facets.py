"""The changelist's facet counts (one grouped query, the created choices as spans of days)
agree with each choice's own filter, for Apps created across every span and boundary."""

from datetime import timedelta

import pytest
from django.utils import timezone

from apps_registry.models import Api, App
from apps_registry.selectors import changelist_apps, changelist_counts
from apps_registry.selectors.changelist import LIST_FILTERS, _today
from tests.factories import AppFactory

pytestmark = pytest.mark.django_db

AGES = [timedelta(days=-1), timedelta(0), timedelta(hours=1), timedelta(days=-1, hours=23)]
AGES += [timedelta(days=d) for d in (1, 6, 7, 8, 27, 31, 45, 200, 366, 800)]


@pytest.mark.parametrize("query", ["", "Sync"])
def test_every_choice_counts_what_its_filter_shows(demo, query):
    owner = demo["organization"]
    today = _today()
    for i, age in enumerate(AGES):
        app = AppFactory(owner=owner, name=f"{'Sync' if i % 2 else 'Other'} {i}", trusted=i % 3 == 0)
        App.objects.filter(pk=app.pk).update(created=today - age, enabled=i % 4 != 0)
    AppFactory(owner=owner, api=Api.UNIFIEDAPI, name="Sync Unified")
    assert App.objects.filter(created__gt=timezone.now()).exists()  # a clock ahead, too

    for kept in ({}, {"trusted": "1"}, {"enabled": "0", "created": "month"}):
        counts = changelist_counts(owner, api=Api.SYSTEMAPI, query=query, filters=kept)
        shown = changelist_apps(owner, api=Api.SYSTEMAPI, query=query, filters=kept).count()
        assert counts["shown"] == shown
        for list_filter in LIST_FILTERS:
            for value, _label in list_filter.choices:
                filters = {**kept, list_filter.parameter: value}
                expected = changelist_apps(owner, api=Api.SYSTEMAPI, query=query, filters=filters).count()
                assert counts[f"{list_filter.parameter}={value}"] == expected, (filters, query)
