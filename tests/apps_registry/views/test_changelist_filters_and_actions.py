"""The App management pages (design §4) as the test client sees them: with htmx
(`HX-Request`) and without JavaScript, for every persona, on good and bad paths: the
changelist's filter sidebar, numbered pages and actions on the selected rows, as the Django
admin's."""

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse

from apps_registry.models import Api, App, AuditEvent
from tests.apps_registry.views.helpers import make_apps
from tests.factories import AppFactory
from tests.helpers import list_url, messages_of, plain, text

# --- filters, actions, pages (the Django admin's habits) ---------------------------------------


def names_in(response) -> list[str]:
    return re.findall(r'<a href="/apps/\d+/" id[^>]*>([^<]+)</a>', text(response))


def test_the_filter_sidebar_filters_counts_and_combines_with_search_sort_and_tab(demo, client):
    from datetime import timedelta

    from django.utils import timezone

    owner = demo["organization"]
    AppFactory(owner=owner, name="Sync Old", trusted=True)
    AppFactory(owner=owner, name="Sync New", trusted=True, enabled=False)
    AppFactory(owner=owner, name="Sync Plain")
    AppFactory(owner=owner, name="Other", trusted=True)
    AppFactory(owner=owner, name="Sync Unified", api=Api.UNIFIEDAPI, trusted=True)
    App.objects.filter(name="Sync Old").update(created=timezone.now() - timedelta(days=400))
    client.force_login(owner)
    url = list_url(owner)

    trusted = client.get(url, {"trusted": "1", "q": "sync", "o": "-name"})
    content = text(trusted)

    assert names_in(trusted) == ["Sync Old", "Sync New"]
    assert "2 Apps matching “sync” filtered" in plain(trusted)
    # The counts are the Django admin's facets: this tab and search, the other filters kept.
    assert re.search(r'id="filter-trusted-1"[^>]*>Yes <span[^>]*>\(2\)', content)
    assert re.search(r'id="filter-trusted-2"[^>]*>No <span[^>]*>\(1\)', content)
    assert re.search(r'id="filter-enabled-2"[^>]*>No <span[^>]*>\(1\)', content)
    assert re.search(r'id="filter-created-4"[^>]*>This year <span[^>]*>\(1\)', content)
    # Each choice's link keeps the search, the sort and the tab, and drops the page.
    enabled_link = re.search(r'id="filter-enabled-1" href="([^"]+)"', content).group(1)
    assert parse_qs(urlsplit(enabled_link.replace("&amp;", "&")).query) == {
        "trusted": ["1"],
        "q": ["sync"],
        "o": ["-name"],
        "enabled": ["1"],
    }
    assert 'class="filter-link selected" aria-current="true"' in content
    assert names_in(client.get(url, {"trusted": "1", "enabled": "1", "created": "today"})) == ["Other"]
    assert names_in(client.get(url, {"created": "past7", "trusted": "0"})) == ["Sync Plain"]
    assert names_in(client.get(url, {"api": Api.UNIFIEDAPI, "trusted": "1"})) == ["Sync Unified"]
    # A choice that is not one is ignored, as a bad sort is.
    assert len(names_in(client.get(url, {"trusted": "maybe", "created": "1999"}))) == 4


def test_numbered_pages_with_first_last_and_ellipses_keep_the_query(demo, client):
    make_apps(demo["user"], 50 * 19 + 1)  # 20 pages
    client.force_login(demo["user"])

    content = text(client.get(list_url(demo["user"]), {"page": 10, "q": "Bulk", "trusted": "0"}))

    def link(name):
        href = re.search(rf'id="page-{name}" href="([^"]+)"', content).group(1).replace("&amp;", "&")
        return parse_qs(urlsplit(href).query)

    assert link("first") == {"page": ["1"], "q": ["Bulk"], "trusted": ["0"]}
    assert link("last") == {"page": ["20"], "q": ["Bulk"], "trusted": ["0"]}
    numbers = ["1", "2", "7", "8", "9", "11", "12", "13", "19", "20"]
    assert re.findall(r'id="page-(\d+)"', content) == numbers
    assert content.count('<span class="page-link">…</span>') == 2
    current = 'aria-current="page"><span class="page-link"><span class="visually-hidden">Page </span>10<'
    assert current in content
    first = text(client.get(list_url(demo["user"])))
    assert 'id="page-first"' not in first and 'id="page-last"' in first


@pytest.mark.parametrize(
    ("action", "done", "check"),
    [
        ("disable", "Disabled 2 Apps.", lambda app: app is not None and not app.enabled),
        (
            "regenerate",
            "Regenerated the secrets of 2 Apps.",
            lambda app: app and app.live_secrets[0].added_by,
        ),
        ("remove", "Removed 2 Apps.", lambda app: app is None),
    ],
)
def test_an_action_on_selected_rows_asks_then_runs_the_service_per_app_with_its_audit_row(
    action, done, check, demo, client, make_tokens
):
    owner = demo["organization"]
    one, two, kept = (AppFactory(owner=owner, name=name) for name in ("One", "Two", "Kept"))
    make_tokens(one, 2)
    theirs = AppFactory(owner=demo["organization2"], name="Theirs")
    client.force_login(demo["provider"])
    url = reverse("apps_registry:bulk_action", args=[owner.pk])
    picked = {"app": [one.pk, two.pk, theirs.pk], "api": Api.SYSTEMAPI, "action": action}

    confirm = client.post(url, picked)
    assert confirm.status_code == 200
    assert "One" in text(confirm) and "Theirs" not in text(confirm)
    assert "2 live access tokens" in plain(confirm)
    assert not AuditEvent.objects.exists()

    response = client.post(url, {**picked, "confirmed": "yes"})

    assert response["Location"] == list_url(owner)
    assert messages_of(response) == [done]
    for app in (one, two):
        assert check(App.objects.filter(pk=app.pk).first())
    kept.refresh_from_db()
    assert kept.enabled and kept.live_secrets[0].added_by_username == ""  # the factory's
    assert App.objects.filter(pk=theirs.pk, enabled=True).exists()
    assert AuditEvent.objects.filter(actor=demo["provider"]).count() == 2


def test_enable_action_enables_the_selected_disabled_apps(demo, client):
    owner = demo["user"]
    off = AppFactory(owner=owner, name="Off", enabled=False)
    client.force_login(owner)

    response = client.post(
        reverse("apps_registry:bulk_action", args=[owner.pk]),
        {"app": [off.pk], "action": "enable", "confirmed": "yes"},
    )

    assert messages_of(response) == ["Enabled 1 App."]
    off.refresh_from_db()
    assert off.enabled


def test_select_across_acts_on_every_app_of_the_search_and_filters_on_every_page(demo, client):
    owner = demo["user"]
    make_apps(owner, 120)
    App.objects.filter(name__in=["Bulk 0003", "Bulk 0100"]).update(trusted=True)
    AppFactory(owner=owner, name="Bulk Unified", api=Api.UNIFIEDAPI, trusted=True)
    AppFactory(owner=owner, name="Other", trusted=True)
    client.force_login(owner)
    url = reverse("apps_registry:bulk_action", args=[owner.pk])
    across = {"action": "disable", "select_across": "1", "q": "Bulk", "trusted": "1", "api": Api.SYSTEMAPI}

    page = client.get(list_url(owner), {"q": "Bulk"})
    assert 'name="select_across" value="0"' in text(page)
    assert "Select all 120 Apps" in text(page)
    confirm = client.post(url, {**across, "app": [App.objects.get(name="Bulk 0003").pk]})
    assert "Disable 2 Apps?" in plain(confirm)
    response = client.post(url, {**across, "confirmed": "yes"})

    assert messages_of(response) == ["Disabled 2 Apps."]
    assert set(App.objects.filter(enabled=False).values_list("name", flat=True)) == {"Bulk 0003", "Bulk 0100"}


def test_an_unknown_action_or_nothing_selected_changes_nothing(demo, client):
    owner = demo["user"]
    app = AppFactory(owner=owner)
    client.force_login(owner)
    url = reverse("apps_registry:bulk_action", args=[owner.pk])

    unknown = client.post(url, {"app": [app.pk], "action": "drop table", "confirmed": "yes"})
    none = client.post(url, {"action": "disable", "confirmed": "yes"})
    out_of_reach = client.post(
        reverse("apps_registry:bulk_action", args=[demo["organization2"].pk]),
        {"action": "disable", "select_across": "1", "confirmed": "yes"},
    )

    assert messages_of(unknown) == ["Choose an action for the selected Apps."]
    assert messages_of(none)[-1] == "Select one or more Apps to disable."
    assert out_of_reach.status_code == 404
    assert App.objects.filter(enabled=True).count() == App.objects.count()
    assert not AuditEvent.objects.exists()
