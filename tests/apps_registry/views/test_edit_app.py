"""The App management pages (design §4) as the test client sees them: with htmx
(`HX-Request`) and without JavaScript, for every persona, on good and bad paths: an App's
Edit page and its secret (reveal, regenerate)."""

import json
import re

import pytest
from django.urls import reverse

from apps_registry.models import AccessToken, Api, App, AuditAction, AuditEvent
from tests.apps_registry.views.helpers import snapshot
from tests.helpers import HTMX, add_url, form_data, list_url, messages_of, plain, text

# --- edit -----------------------------------------------------------------------------------


def test_edit_page_is_the_form_pre_filled_with_the_secret_masked(demo, demo_apps, client):
    app = demo_apps["user"]
    client.force_login(demo["organization"])

    response = client.get(reverse("apps_registry:edit", args=[app.pk]))

    content = text(response)
    assert f'value="{app.name}"' in content
    assert f'value="{app.redirect_uri}"' in content
    assert app.client_id in content
    assert app.client_secret not in content
    assert ">Reveal</button>" in content and "Regenerate…" in content
    assert "no-store" in response["Cache-Control"]
    # Breadcrumb back to the account's home page and its App page.
    assert reverse("accounts:detail", args=[demo["user"].pk]) in content
    assert list_url(demo["user"]) in content


def test_editing_an_app_saves_through_the_service_and_audits_the_fields(demo, demo_apps, client):
    app = demo_apps["organization"]
    client.force_login(demo["provider"])
    data = {
        "name": "Renamed",
        "homepage": app.homepage,
        "email": app.email,
        "redirect_uri": "https://new.example/cb",
        "trusted": "on",
        # Not editable: ignored.
        "api": Api.UNIFIEDAPI,
        "client_id": "A" * 32,
        "owner": demo["admin"].pk,
    }

    response = client.post(reverse("apps_registry:edit", args=[app.pk]), data)

    assert response.status_code == 302
    app.refresh_from_db()
    assert (app.name, app.redirect_uri, app.trusted) == ("Renamed", "https://new.example/cb", True)
    assert (app.api, app.owner, app.client_id != "A" * 32) == (Api.SYSTEMAPI, demo["organization"], True)
    event = AuditEvent.objects.get(app=app, action=AuditAction.UPDATE)
    assert set(event.details["fields"]) == {"name", "redirect_uri", "trusted"}
    assert messages_of(response) == [
        f'The App “<a href="/apps/{app.pk}/" class="alert-link">Renamed</a>” was changed. Its App ID/key '
        f'is <span class="font-monospace key">{app.client_id}</span>.'
    ]


def test_an_invalid_edit_shows_errors_and_changes_nothing(demo, demo_apps, client):
    app = demo_apps["user"]
    before = snapshot(app)
    client.force_login(demo["user"])

    response = client.post(
        reverse("apps_registry:edit", args=[app.pk]),
        {
            "name": "y" * 300,
            "homepage": app.homepage,
            "email": app.email,
            "redirect_uri": "http://x.example/",
        },
    )

    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"name", "redirect_uri"}
    assert snapshot(app) == before


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["page", "htmx"])
def test_a_form_with_errors_starts_with_a_summary_linking_to_each_field(headers, demo, demo_apps, client):
    owner = demo["user"]
    client.force_login(owner)
    page = client.get(add_url(owner), headers=headers)
    data = {**form_data(page), "name": "", "redirect_uri": "http://x.example/"}

    added = text(client.post(add_url(owner), data, headers=headers))
    edited = text(
        client.post(reverse("apps_registry:edit", args=[demo_apps["user"].pk]), {**data, "email": "nope"})
    )

    for content, count in ((added, 2), (edited, 3)):
        summary = re.search(r'<div class="alert alert-danger error-summary".*?</div>', content, re.S).group(0)
        assert "Please correct the errors below." in summary
        assert len(re.findall(r"<li>", summary)) == count
        assert '<a href="#id_name" class="alert-link">Name</a>: This field is required.' in summary
        assert '<a href="#id_redirect_uri" class="alert-link">Redirect URL</a>' in summary
        # Each link goes to a field that exists.
        for target in re.findall(r'href="#([\w-]+)"', summary):
            assert f'id="{target}"' in content
    assert '<a href="#id_email" class="alert-link">Admin email</a>' in edited
    assert "error-summary" not in text(client.get(add_url(owner)))


def test_save_and_continue_editing_and_save_and_add_another_go_where_they_say(demo, demo_apps, client):
    owner = demo["user"]
    app = demo_apps["user"]
    client.force_login(owner)
    edit = reverse("apps_registry:edit", args=[app.pk])
    fields = {"name": app.name, "homepage": app.homepage, "email": app.email}
    fields["redirect_uri"] = app.redirect_uri

    stay = client.post(edit, {**fields, "name": "Kept Here", "_continue": "1"})
    another = client.post(edit, {**fields, "_addanother": "1"})
    page = client.get(add_url(owner))
    added_then_edit = client.post(add_url(owner), {**form_data(page), "_continue": "1"})
    page = client.get(add_url(owner), headers=HTMX)
    added_then_another = client.post(
        add_url(owner), {**form_data(page), "name": "Second", "_addanother": "1"}, headers=HTMX
    )

    assert stay["Location"] == edit
    assert another["Location"] == add_url(owner)
    new = App.objects.get(name="Calendar Sync")
    assert added_then_edit["Location"] == new.get_absolute_url()
    # With htmx, a fresh form in the modal (new credentials), and the list behind reloads.
    assert added_then_another.status_code == 200
    assert set(json.loads(added_then_another["HX-Trigger"])) == {"appsChanged"}
    assert 'id="modal-title"' in text(added_then_another)
    assert 'name="name" value="Second"' not in text(added_then_another)
    assert App.objects.filter(name="Second").exists()
    assert new.client_id not in text(added_then_another)


def test_edit_in_a_pop_up_with_htmx_the_page_without(demo, demo_apps, client):
    app = demo_apps["user"]
    client.force_login(demo["user"])
    edit = reverse("apps_registry:edit", args=[app.pk])
    fields = {"name": app.name, "homepage": app.homepage, "email": app.email}
    fields["redirect_uri"] = app.redirect_uri

    dialog = client.get(edit, headers=HTMX)
    invalid = client.post(edit, {**fields, "redirect_uri": "http://x.example/"}, headers=HTMX)
    saved = client.post(edit, {**fields, "name": "Popped"}, headers=HTMX)
    kept_open = client.post(edit, {**fields, "name": "Popped Again", "_continue": "1"}, headers=HTMX)

    content = text(dialog)
    assert "<html" not in content and content.lstrip().startswith("<form")
    assert f'hx-post="{edit}" hx-target="#modal-content"' in content
    assert 'id="modal-title">Edit “' in content
    assert 'form="reveal-form"' in content and 'id="reveal-form"' in content  # Reveal works in it
    assert app.client_id in content and app.client_secret not in content
    assert "Please correct the error below." in text(invalid) and "<html" not in text(invalid)
    assert saved.status_code == 204
    assert set(json.loads(saved["HX-Trigger"])) == {"closeModal", "appsChanged"}
    assert kept_open.status_code == 200 and 'value="Popped Again"' in text(kept_open)
    assert set(json.loads(kept_open["HX-Trigger"])) == {"appsChanged"}
    assert AuditEvent.objects.filter(app=app, action=AuditAction.UPDATE).count() == 2
    # Without JavaScript the link is the full page.
    assert "<html" in text(client.get(edit)) and "Tokens and state" in text(client.get(edit))


def test_save_and_add_another_in_the_edit_pop_up_saves_and_opens_the_add_form_in_it(demo, demo_apps, client):
    app = demo_apps["user"]
    client.force_login(demo["user"])
    edit = reverse("apps_registry:edit", args=[app.pk])
    fields = {"name": "Then Another", "homepage": app.homepage, "email": app.email}

    answer = client.post(edit, {**fields, "redirect_uri": app.redirect_uri, "_addanother": "1"}, headers=HTMX)

    content = text(answer)
    assert answer.status_code == 200 and "<html" not in content
    assert f'id="modal-title">Add a {app.get_api_display()} App to user<' in content
    assert set(json.loads(answer["HX-Trigger"])) == {"appsChanged"}
    app.refresh_from_db()
    assert app.name == "Then Another"


# --- the secret -----------------------------------------------------------------------------


def test_reveal_is_post_only(demo, demo_apps, client):
    client.force_login(demo["user"])

    response = client.get(reverse("apps_registry:reveal_secret", args=[demo_apps["user"].pk]))

    assert response.status_code == 405
    assert not AuditEvent.objects.exists()


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["page", "htmx"])
def test_revealing_the_secret_shows_it_and_records_it(headers, demo, demo_apps, client):
    app = demo_apps["user"]
    client.force_login(demo["organization"])

    response = client.post(
        reverse("apps_registry:reveal_secret", args=[app.pk]),
        headers=headers,
        REMOTE_ADDR="203.0.113.5",
        follow=not headers,  # without JavaScript: POST, redirect, GET
    )

    content = text(response)
    assert response.status_code == 200
    assert f'value="{app.client_secret}"' in content
    assert "no-store" in response["Cache-Control"]
    assert ("<html" in content) == (not headers)
    event = AuditEvent.objects.get()
    assert (event.action, event.actor, event.ip_address) == (
        AuditAction.REVEAL_SECRET,
        demo["organization"],
        "203.0.113.5",
    )


def test_no_javascript_reveal_redirects_to_a_page_that_shows_the_secret_once(demo, demo_apps, client):
    app = demo_apps["user"]
    client.force_login(demo["user"])

    posted = client.post(reverse("apps_registry:reveal_secret", args=[app.pk]))

    assert posted.status_code == 302
    location = posted["Location"]
    assert location.startswith(f"/apps/{app.pk}/?revealed=")
    assert app.client_secret not in location
    assert app.client_secret not in json.dumps(dict(client.session))
    shown = client.get(location)
    refreshed = client.get(location)
    assert f'value="{app.client_secret}"' in text(shown)
    assert "Revealed; this was recorded in the audit trail." in text(shown)
    assert app.client_secret not in text(refreshed)  # the token is used up
    assert "Masked." in text(refreshed)
    assert AuditEvent.objects.filter(app=app, action=AuditAction.REVEAL_SECRET).count() == 1
    # A token for another App, or one made up, shows nothing.
    other = demo_apps["organization"]
    client.force_login(demo["organization"])
    posted = client.post(reverse("apps_registry:reveal_secret", args=[app.pk]))
    token = posted["Location"].split("revealed=")[1]
    assert other.client_secret not in text(client.get(f"/apps/{other.pk}/?revealed={token}"))
    assert app.client_secret not in text(client.get(f"/apps/{app.pk}/?revealed={token}"))
    assert app.client_secret not in text(client.get(f"/apps/{app.pk}/?revealed=made-up"))


def test_regenerate_asks_first_and_says_the_tokens_stop_working(demo, demo_apps, client, make_tokens):
    app = demo_apps["user"]
    make_tokens(app, 3)
    before = snapshot(app)
    client.force_login(demo["user"])

    response = client.get(reverse("apps_registry:regenerate_secret", args=[app.pk]))

    content = text(response)
    assert "Every access token and refresh token of the App stops working" in content
    assert "3 live access tokens stop working" in plain(response)
    assert 'name="confirmed" value="yes"' in content
    assert snapshot(app) == before


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["page", "htmx"])
def test_regenerating_replaces_the_secret_revokes_the_tokens_and_shows_the_new_one(
    headers, demo, demo_apps, client, make_tokens
):
    app = demo_apps["user"]
    old = app.client_secret
    make_tokens(app, 3)
    client.force_login(demo["user"])

    response = client.post(
        reverse("apps_registry:regenerate_secret", args=[app.pk]), {"confirmed": "yes"}, headers=headers
    )

    app.refresh_from_db()
    content = text(response)
    assert response.status_code == 200
    assert app.client_secret != old
    assert f'value="{app.client_secret}"' in content
    assert old not in content
    assert "no-store" in response["Cache-Control"]
    assert not AccessToken.objects.filter(application=app).exists()
    assert AuditEvent.objects.get().action == AuditAction.REGENERATE_SECRET
    if headers:  # the dialog, and the App page's secret field updated out of band
        assert "<html" not in content
        assert 'id="app-secret" hx-swap-oob="true"' in content
