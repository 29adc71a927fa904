"""The App management pages (design §4) as the test client sees them: with htmx
(`HX-Request`) and without JavaScript, for every persona, on good and bad paths: an
App's tokens (list, revoke), disable, enable and remove, one App or the selected ones."""

import re
from urllib.parse import urlsplit

import pytest
from django.urls import reverse

from apps_registry.models import AccessToken, Api, App, AuditAction, AuditEvent, RefreshToken
from tests.factories import AppFactory
from tests.helpers import HTMX, list_url, messages_of, plain, text

# --- tokens ---------------------------------------------------------------------------------


def test_token_list_shows_live_tokens_with_account_expiry_and_user_agent(
    demo, demo_apps, client, make_tokens, expired_token
):
    app = demo_apps["organization"]
    [granted] = make_tokens(app, 1, user=demo["user"])
    AccessToken.objects.filter(pk=granted.pk).update(user_agent="Calendar/1.0 (Linux)")
    [machine] = make_tokens(app, 1)
    AccessToken.objects.filter(pk=machine.pk).update(user=None)  # client_credentials
    expired = expired_token(app)
    make_tokens(demo_apps["user"], 1, user=demo["user2"])  # another App's
    client.force_login(demo["organization"])

    response = client.get(reverse("apps_registry:tokens", args=[app.pk]))

    content = text(response)
    rows = re.findall(r'name="token" value="(\d+)"', content)
    assert sorted(map(int, rows)) == sorted([granted.pk, machine.pk])
    assert expired.pk not in map(int, rows)
    assert "Calendar/1.0 (Linux)" in content
    assert "<td>user</td>" in content
    assert "organization <span" in content  # the App's owner, for the client_credentials token
    assert "user2" not in content.split("<tbody>")[1]


def test_token_list_paginates(demo, demo_apps, client, make_tokens):
    app = demo_apps["user"]
    make_tokens(app, 51)
    client.force_login(demo["user"])
    url = reverse("apps_registry:tokens", args=[app.pk])

    first = text(client.get(url))
    second = text(client.get(url, {"page": 2}))

    assert len(re.findall(r'name="token"', first)) == 50
    assert len(re.findall(r'name="token"', second)) == 1
    assert "51 live access tokens" in first


def test_revoking_selected_tokens_asks_first_then_revokes_only_those_of_this_app(
    demo, demo_apps, client, make_tokens
):
    app = demo_apps["organization"]
    keep, revoke_one, revoke_two = make_tokens(app, 3)
    [other_app_token] = make_tokens(demo_apps["user"], 1)
    [out_of_reach] = make_tokens(demo_apps["organization2"], 1)
    client.force_login(demo["organization"])
    url = reverse("apps_registry:revoke_tokens", args=[app.pk])
    picked = [revoke_one.pk, revoke_two.pk, other_app_token.pk, out_of_reach.pk, "x", "-1"]

    confirm = client.post(url, {"token": picked})
    assert confirm.status_code == 200
    assert "Revoke 2 tokens" in text(confirm)
    assert AccessToken.objects.count() == 5

    response = client.post(url, {"token": picked, "confirmed": "yes"})

    assert response.status_code == 302
    assert set(AccessToken.objects.values_list("pk", flat=True)) == {
        keep.pk,
        other_app_token.pk,
        out_of_reach.pk,
    }
    assert RefreshToken.objects.filter(access_token_id=revoke_one.pk).count() == 0
    assert app.check_secret(app.client_secret)
    assert messages_of(response) == [f"Revoked 2 access tokens of “{app.name}”."]


def test_revoking_with_no_token_selected_changes_nothing(demo, demo_apps, client, make_tokens):
    app = demo_apps["user"]
    make_tokens(app, 2)
    client.force_login(demo["user"])

    response = client.post(
        reverse("apps_registry:revoke_tokens", args=[app.pk]), {"token": ["999999"], "confirmed": "yes"}
    )

    assert response.status_code == 302
    assert AccessToken.objects.filter(application=app).count() == 2
    assert not AuditEvent.objects.exists()


def test_revoke_all_asks_first_then_revokes_every_token_and_keeps_the_secret(
    demo, demo_apps, client, make_tokens
):
    app = demo_apps["user"]
    secret = app.client_secret
    make_tokens(app, 4)
    client.force_login(demo["admin"])
    url = reverse("apps_registry:revoke_tokens", args=[app.pk])

    confirm = client.get(url)
    assert "4 live access tokens stop working" in plain(confirm)
    assert AccessToken.objects.filter(application=app).count() == 4

    response = client.post(url, {"confirmed": "yes"}, headers=HTMX)

    assert response["HX-Redirect"] == reverse("apps_registry:tokens", args=[app.pk])
    assert not AccessToken.objects.filter(application=app).exists()
    assert not RefreshToken.objects.filter(application=app).exists()
    app.refresh_from_db()
    assert app.client_secret == secret


# --- disable, enable, remove ----------------------------------------------------------------


def test_disable_asks_first_then_disables_and_enable_brings_it_back(demo, demo_apps, client):
    app = demo_apps["user"]
    client.force_login(demo["user"])
    disable = reverse("apps_registry:disable", args=[app.pk])

    confirm = client.get(disable)
    app.refresh_from_db()
    assert app.enabled and "its tokens are refused" in text(confirm)

    response = client.post(disable, {"confirmed": "yes"})
    app.refresh_from_db()
    assert response["Location"] == app.get_absolute_url()
    assert not app.enabled
    assert "Disabled" in text(client.get(app.get_absolute_url()))

    client.post(reverse("apps_registry:enable", args=[app.pk]), headers=HTMX)
    app.refresh_from_db()
    assert app.enabled
    assert [e.action for e in AuditEvent.objects.order_by("pk")] == [AuditAction.DISABLE, AuditAction.ENABLE]


def test_remove_asks_first_naming_the_app_and_its_live_tokens(demo, demo_apps, client, make_tokens):
    app = demo_apps["user"]
    make_tokens(app, 1)
    client.force_login(demo["user"])

    response = client.get(reverse("apps_registry:remove", args=[app.pk]), headers=HTMX)

    content = text(response)
    assert f"Remove “{app.name}”?" in content
    assert "1 live access token die with it" in plain(response)
    assert "<html" not in content
    assert App.objects.filter(pk=app.pk).exists()


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["page", "htmx"])
def test_removing_an_app_deletes_it_with_its_tokens(headers, demo, demo_apps, client, make_tokens):
    app = demo_apps["user"]
    make_tokens(app, 2)
    client.force_login(demo["organization"])

    response = client.post(
        reverse("apps_registry:remove", args=[app.pk]), {"confirmed": "yes"}, headers=headers
    )

    target = list_url(demo["user"])
    assert (response["HX-Redirect"] if headers else response["Location"]) == target
    assert not App.objects.filter(pk=app.pk).exists()
    assert not AccessToken.objects.filter(application_id=app.pk).exists()
    assert AuditEvent.objects.get().action == AuditAction.REMOVE
    assert client.get(reverse("apps_registry:edit", args=[app.pk])).status_code == 404


def test_bulk_remove_confirms_then_removes_only_the_accounts_own_selected_apps(demo, client, make_tokens):
    owner = demo["organization"]
    one, two, kept = (AppFactory(owner=owner, name=name) for name in ("One", "Two", "Kept"))
    make_tokens(one, 2)
    below = AppFactory(owner=demo["user"], name="Below")  # in reach, but another account's
    theirs = AppFactory(owner=demo["organization2"], name="Theirs")  # out of reach
    client.force_login(demo["provider"])
    url = reverse("apps_registry:bulk_remove", args=[owner.pk])
    picked = [one.pk, two.pk, below.pk, theirs.pk, "junk", "9" * 40]

    confirm = client.post(url, {"app": picked, "api": Api.SYSTEMAPI})
    content = text(confirm)
    assert confirm.status_code == 200
    assert "Remove 2 Apps?" in content
    assert "One" in content and "Two" in content
    assert "Below" not in content and "Theirs" not in content
    assert "2 live access tokens die with them" in plain(confirm)
    assert App.objects.count() == 5

    response = client.post(url, {"app": picked, "api": Api.SYSTEMAPI, "confirmed": "yes"})

    assert response["Location"] == list_url(owner)
    assert set(App.objects.values_list("name", flat=True)) == {"Kept", "Below", "Theirs"}
    assert messages_of(response) == ["Removed 2 Apps."]
    assert kept.pk


def test_bulk_remove_with_nothing_in_reach_selected_removes_nothing(demo, client):
    theirs = AppFactory(owner=demo["organization2"], name="Theirs")
    client.force_login(demo["organization"])
    url = reverse("apps_registry:bulk_remove", args=[demo["organization"].pk])

    response = client.post(url, {"app": [theirs.pk], "confirmed": "yes"})

    assert response.status_code == 302
    assert messages_of(response) == ["Select one or more Apps to remove."]
    assert App.objects.filter(pk=theirs.pk).exists()


def test_bulk_remove_of_an_account_out_of_reach_is_404(demo, client):
    theirs = AppFactory(owner=demo["organization2"])
    client.force_login(demo["organization"])

    response = client.post(
        reverse("apps_registry:bulk_remove", args=[demo["organization2"].pk]),
        {"app": [theirs.pk], "confirmed": "yes"},
    )

    assert response.status_code == 404
    assert App.objects.filter(pk=theirs.pk).exists()


def test_bulk_remove_page_urlsplit_keeps_the_tab(demo, client):
    app = AppFactory(owner=demo["user"], api=Api.UNIFIEDAPI)
    client.force_login(demo["user"])

    response = client.post(
        reverse("apps_registry:bulk_remove", args=[demo["user"].pk]),
        {"app": [app.pk], "api": Api.UNIFIEDAPI, "confirmed": "yes"},
    )

    assert urlsplit(response["Location"]).query == "api=unifiedapi"
