"""Rotation without downtime (issue 16): two secrets at once, each token remembering its
secret, removing one revokes exactly its tokens. Through the portal: the App page's secrets,
Add a secret, Remove, Reveal, last used in the App list."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.urls import reverse

from apps_registry.exceptions import LastSecret, SecretLimitReached
from apps_registry.models import App, AppSecret, AuditAction, AuditEvent
from tests.apps_registry.rotation.helpers import rotating, token
from tests.factories import AppFactory
from tests.helpers import HTMX, messages_of, plain, text

# --- the portal -----------------------------------------------------------------------------


def test_the_app_page_lists_each_secret_masked_with_who_when_and_last_use(client, trusted_app, owner, demo):
    app, old, new = rotating(trusted_app, demo["admin"])
    token(client, app, new)
    client.force_login(owner)

    response = client.get(app.get_absolute_url())

    content = text(response)
    assert old not in content and new not in content
    assert "•" * 28 + old[-4:] in content and "•" * 28 + new[-4:] in content
    assert "(before rotation)" in content and f"by {demo['admin'].username}" in content
    assert "last used never" in plain(response) and content.count("last used <time") == 1
    assert content.count("remove-secret") == 2 and "Add a secret…" not in content
    assert 'id="app-last-used"><time' in content


def test_an_app_with_one_secret_offers_add_and_no_remove(client, trusted_app, owner):
    client.force_login(owner)
    content = text(client.get(trusted_app.get_absolute_url()))
    assert "Add a secret…" in content and "remove-secret" not in content


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["page", "htmx"])
def test_add_a_secret_asks_then_shows_the_new_one_once(headers, client, trusted_app, owner):
    client.force_login(owner)
    url = reverse("apps_registry:add_secret", args=[trusted_app.pk])

    confirm = client.get(url, headers=headers)
    assert "Both secrets work until you remove one" in text(confirm)
    assert AppSecret.objects.filter(app=trusted_app).count() == 1

    response = client.post(url, {"confirmed": "yes"}, headers=headers)

    new = App.objects.get(pk=trusted_app.pk).live_secrets[-1].secret
    content = text(response)
    assert response.status_code == 200 and f'value="{new}"' in content
    assert "no-store" in response["Cache-Control"]
    assert "A second secret was added. Both secrets work" in content
    if headers:
        assert 'id="app-secret" hx-swap-oob="true"' in content and "<html" not in content
    page = text(client.get(trusted_app.get_absolute_url()))
    assert new not in page  # shown once; masked afterwards, revealable


def test_a_third_secret_from_the_page_is_an_error_and_writes_nothing(client, trusted_app, owner):
    rotating(trusted_app, owner)
    client.force_login(owner)
    url = reverse("apps_registry:add_secret", args=[trusted_app.pk])

    asked = client.get(url)
    posted = client.post(url, {"confirmed": "yes"})

    for response in (asked, posted):
        assert response.status_code == 302
        assert messages_of(response)[-1] == SecretLimitReached(2).messages[0]
    assert AppSecret.objects.filter(app=trusted_app).count() == 2


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["page", "htmx"])
def test_remove_a_secret_asks_with_its_token_count_then_removes_it(headers, client, trusted_app, owner):
    app, old, _new = rotating(trusted_app, owner)
    token(client, app, old)
    first = app.live_secrets[0]
    client.force_login(owner)
    url = reverse("apps_registry:remove_secret", args=[app.pk, first.pk])

    confirm = client.get(url, headers=headers)
    assert f"Remove the secret …{old[-4:]}" in text(confirm)
    assert "1 live access token stops working" in plain(confirm)

    response = client.post(url, {"confirmed": "yes"}, headers=headers)

    target = app.get_absolute_url()
    assert (response["HX-Redirect"] if headers else response["Location"]) == target
    assert list(AppSecret.objects.live().filter(app=app).values_list("pk", flat=True)) == [
        app.live_secrets[1].pk
    ]
    assert AuditEvent.objects.filter(action=AuditAction.REMOVE_SECRET, app=app).count() == 1


def test_removing_the_last_secret_from_the_page_is_an_error(client, trusted_app, owner):
    only = trusted_app.live_secrets[0]
    client.force_login(owner)
    url = reverse("apps_registry:remove_secret", args=[trusted_app.pk, only.pk])

    for response in (client.get(url), client.post(url, {"confirmed": "yes"})):
        assert response.status_code == 302
        assert messages_of(response)[-1] == LastSecret().messages[0]
    assert AppSecret.objects.live().filter(app=trusted_app).count() == 1


def test_another_apps_secret_in_the_url_is_404(client, trusted_app, owner):
    rotating(trusted_app, owner)
    other = AppFactory(owner=owner)
    rotating(other, owner)
    client.force_login(owner)
    url = reverse("apps_registry:remove_secret", args=[trusted_app.pk, other.live_secrets[0].pk])

    assert client.get(url).status_code == 404
    assert client.post(url, {"confirmed": "yes"}).status_code == 404
    reveal = client.post(
        reverse("apps_registry:reveal_secret", args=[trusted_app.pk]), {"secret": other.live_secrets[0].pk}
    )
    assert reveal.status_code == 404
    assert AppSecret.objects.live().count() == 4
    assert not AuditEvent.objects.filter(action__in=["remove_secret", "reveal_secret"]).exists()


@pytest.mark.parametrize("method", ["get", "post"])
def test_add_and_remove_on_an_app_out_of_reach_are_404(method, client, demo, demo_apps):
    theirs = demo_apps["organization2"]
    rotating(theirs, demo["organization2"])
    client.force_login(demo["provider"])  # manages organization, not organization2
    urls = [
        reverse("apps_registry:add_secret", args=[theirs.pk]),
        reverse("apps_registry:remove_secret", args=[theirs.pk, theirs.live_secrets[0].pk]),
    ]

    statuses = [getattr(client, method)(url, {"confirmed": "yes"}).status_code for url in urls]

    assert statuses == [404, 404]
    assert AppSecret.objects.live().filter(app=theirs).count() == 2


def test_add_and_remove_need_the_csrf_token(trusted_app, owner):
    app, _, _ = rotating(trusted_app, owner)
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)

    added = client.post(reverse("apps_registry:add_secret", args=[app.pk]), {"confirmed": "yes"})
    removed = client.post(
        reverse("apps_registry:remove_secret", args=[app.pk, app.live_secrets[0].pk]), {"confirmed": "yes"}
    )

    assert (added.status_code, removed.status_code) == (403, 403)
    assert AppSecret.objects.live().filter(app=app).count() == 2


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["page", "htmx"])
def test_reveal_shows_the_secret_asked_for_and_the_audit_says_which(headers, client, trusted_app, owner):
    app, old, new = rotating(trusted_app, owner)
    first = app.live_secrets[0]
    client.force_login(owner)

    response = client.post(
        reverse("apps_registry:reveal_secret", args=[app.pk]),
        {"secret": first.pk},
        headers=headers,
        follow=not headers,
    )

    content = text(response)
    assert f'value="{old}"' in content and new not in content
    event = AuditEvent.objects.get(action=AuditAction.REVEAL_SECRET)
    assert event.details["secret"] == first.pk and old not in json.dumps(event.details)


def test_the_app_list_shows_when_each_app_was_last_used(client, trusted_app, owner):
    token(client, trusted_app, trusted_app.client_secret)
    AppFactory(owner=owner, api=trusted_app.api, name="Idle")
    client.force_login(owner)

    content = text(client.get(reverse("apps_registry:list", args=[owner.pk]) + f"?api={trusted_app.api}"))

    assert 'id="sort-last_used"' in content
    cell = '<td class="col-last_used d-none d-sm-table-cell">'
    assert content.count(f"{cell}<time") == 1
    assert content.count(f'{cell}<span class="text-body-secondary">Never') == 1


def test_while_rotating_the_secrets_say_which_is_older_and_a_new_one_is_not_said_revealed(
    client, trusted_app, owner
):
    client.force_login(owner)

    added = client.post(reverse("apps_registry:add_secret", args=[trusted_app.pk]), headers=HTMX)

    content = text(added)
    # The App page's list, drawn out of band behind the new secret's dialog.
    assert "Older secret" in content and "Newer secret" in content
    assert content.index("Older secret") < content.index("Newer secret")
    assert 'aria-label="Newer App secret"' in content
    assert "Revealed; this was recorded in the audit trail." not in content
    assert "The new secret is shown in clear until this page is left" in content
    page = text(client.get(trusted_app.get_absolute_url()))
    assert 'aria-label="Older App secret, masked"' in page and 'aria-label="Newer App secret, masked"' in page


def test_the_audit_trail_names_a_secret_by_when_it_was_added_not_by_its_id(client, trusted_app, owner):
    client.force_login(owner)
    client.post(reverse("apps_registry:add_secret", args=[trusted_app.pk]))
    new = trusted_app.secrets.live().order_by("pk").last()

    trail = text(client.get(reverse("apps_registry:audit", args=[owner.pk])))

    assert f"The secret added {new.created:%Y-%m-%d %H:%M}" in trail
    assert f"Secret #{new.pk}" not in trail and "Secret #" not in trail
