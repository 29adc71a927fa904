"""The App management pages (design §4) as the test client sees them: with htmx
(`HX-Request`) and without JavaScript, for every persona, on good and bad paths: what each
persona reaches, page by page and action by action; the rest is 404."""

from urllib.parse import parse_qs, quote, urlsplit

import pytest
from django.urls import reverse

from apps_registry.models import App
from tests.apps_registry.views.helpers import snapshot
from tests.factories import AdministratorFactory, AppFactory
from tests.helpers import HTMX, PAIRS, REACH, add_url, list_url, text

# --- reach: every page and action, every persona ---------------------------------------------


def account_pages(account) -> list[str]:
    return [
        list_url(account),
        add_url(account),
        reverse("apps_registry:audit", args=[account.pk]),
    ]


def app_pages(app) -> list[str]:
    return [
        reverse(name, args=[app.pk])
        for name in (
            "apps_registry:edit",
            "apps_registry:tokens",
            "apps_registry:regenerate_secret",
            "apps_registry:revoke_tokens",
            "apps_registry:disable",
            "apps_registry:enable",
            "apps_registry:remove",
        )
    ]


@pytest.mark.parametrize(("actor", "target"), PAIRS)
def test_every_page_answers_200_in_reach_and_404_out_of_reach(actor, target, demo, demo_apps, client):
    client.force_login(demo[actor])
    expected = 200 if target in REACH[actor] else 404
    app = demo_apps[target]
    bulk = reverse("apps_registry:bulk_remove", args=[app.owner_id]) + f"?app={app.pk}"

    statuses = {
        url: client.get(url).status_code for url in [*account_pages(demo[target]), *app_pages(app), bulk]
    }
    htmx = {url: client.get(url, headers=HTMX).status_code for url in [*account_pages(demo[target]), bulk]}

    assert set(statuses.values()) == {expected}, statuses
    assert set(htmx.values()) == {expected}, htmx


ACTIONS = [
    ("apps_registry:edit", {"name": "Hijacked", "homepage": "https://evil.example/"}),
    ("apps_registry:reveal_secret", {}),
    ("apps_registry:regenerate_secret", {"confirmed": "yes"}),
    ("apps_registry:revoke_tokens", {"confirmed": "yes"}),
    ("apps_registry:disable", {"confirmed": "yes"}),
    ("apps_registry:enable", {"confirmed": "yes"}),
    ("apps_registry:revoke_tokens", {"token": ["1", "2", "3"], "confirmed": "yes"}),
    ("apps_registry:remove", {"confirmed": "yes"}),
]


@pytest.mark.parametrize(("url_name", "data"), ACTIONS)
@pytest.mark.parametrize("headers", [{}, HTMX], ids=["page", "htmx"])
def test_every_action_on_an_app_out_of_reach_is_404_and_changes_nothing(
    url_name, data, headers, demo, demo_apps, client, make_tokens
):
    theirs = demo_apps["organization2"]
    tokens = make_tokens(theirs, 2)
    if url_name == "apps_registry:enable":
        App.objects.filter(pk=theirs.pk).update(enabled=False)
    if "token" in data:
        data = {**data, "token": [token.pk for token in tokens]}
    before = snapshot(theirs)
    client.force_login(demo["provider"])

    response = client.post(reverse(url_name, args=[theirs.pk]), data, headers=headers)

    assert response.status_code == 404
    assert theirs.client_secret not in text(response)
    assert snapshot(theirs) == before


def test_an_app_of_another_administrator_is_404_even_for_an_administrator(demo, client):
    theirs = AppFactory(owner=AdministratorFactory(), name="Elsewhere")
    client.force_login(demo["admin"])

    for url in app_pages(theirs):
        assert client.get(url).status_code == 404
    assert client.post(reverse("apps_registry:remove", args=[theirs.pk])).status_code == 404
    assert App.objects.filter(pk=theirs.pk).exists()


@pytest.mark.parametrize("pk", ["0", "999999", "99999999999999999999"])
def test_a_missing_or_huge_app_id_is_404_not_500(pk, demo, client):
    client.force_login(demo["admin"])

    assert client.get(f"/apps/{pk}/").status_code == 404
    assert client.post(f"/apps/{pk}/remove/").status_code == 404
    assert client.get(f"/accounts/{pk}/apps/").status_code == 404


def test_anonymous_visitors_are_sent_to_login_and_nothing_changes(demo, demo_apps, client):
    app = demo_apps["user"]
    before = snapshot(app)

    for url in [*account_pages(demo["user"]), *app_pages(app)]:
        location = urlsplit(client.get(url)["Location"])
        assert location.path == reverse("login")
        assert parse_qs(location.query)["next"] == [url]
    assert client.post(reverse("apps_registry:remove", args=[app.pk]))["Location"].startswith(
        reverse("login")
    )
    assert snapshot(app) == before


def test_an_htmx_request_after_the_session_ended_signs_in_full_page_and_comes_back(demo, demo_apps, client):
    owner, app = demo["user"], demo_apps["user"]
    page = list_url(owner)
    sorted_tab = f"{page}&o=-created"

    tab = client.get(sorted_tab, headers=HTMX)
    dialog = client.post(add_url(owner), {"name": "Typed"}, headers={**HTMX, "HX-Target": "modal-content"})
    reveal = client.post(
        reverse("apps_registry:reveal_secret", args=[app.pk]),
        headers={**HTMX, "HX-Target": "app-secret", "HX-Current-URL": f"http://testserver/apps/{app.pk}/"},
    )
    plain_get = client.get(page)

    login = reverse("login")
    assert (tab.status_code, tab.content) == (200, b"")
    assert tab["HX-Redirect"] == f"{login}?next={quote(sorted_tab, safe='')}"
    assert dialog["HX-Redirect"] == f"{login}?next={quote(add_url(owner), safe='')}"
    assert reveal["HX-Redirect"] == f"{login}?next={quote(f'/apps/{app.pk}/', safe='')}"
    assert plain_get.status_code == 302  # without htmx, the usual redirect
    assert not App.objects.filter(name="Typed").exists()


def test_favicon_ico_exists_without_signing_in(client):
    response = client.get("/favicon.ico", follow=True)

    assert response.status_code == 200
    assert b"".join(response.streaming_content)[:4] == b"\x00\x00\x01\x00"
