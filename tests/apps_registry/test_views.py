"""The App management pages (design §4) as the test client sees them: with htmx (`HX-Request`)
and without JavaScript, for every persona, on good and bad paths."""

import json
import re
from datetime import UTC, timedelta
from urllib.parse import parse_qs, quote, urlsplit

import pytest
from django.urls import reverse
from django.utils import timezone

from apps_registry.crypto import generate_credential, is_credential
from apps_registry.forms import sign_credentials
from apps_registry.models import (
    AccessToken,
    Api,
    App,
    AppAuthorization,
    AppSecret,
    AuditAction,
    AuditEvent,
    RefreshToken,
)
from tests.factories import AdministratorFactory, AppFactory
from tests.helpers import HTMX, PAIRS, REACH, add_url, form_data, list_url, messages_of, plain, text


def snapshot(app: App) -> dict:
    """What a refused action must leave as it was."""
    app.refresh_from_db()
    return {
        "fields": {
            field: getattr(app, field) for field in ("name", "homepage", "redirect_uri", "trusted", "enabled")
        },
        "secrets": list(app.secrets.values_list("pk", "encrypted_secret", "removed")),
        "tokens": AccessToken.objects.filter(application=app).count(),
        "refresh": RefreshToken.objects.filter(application=app).count(),
        "audit": AuditEvent.objects.filter(app=app).count(),
    }


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


# --- the changelist -------------------------------------------------------------------------


def test_changelist_shows_name_link_key_trusted_enabled_and_created(demo, client):
    app = AppFactory(owner=demo["organization"], name="Billing Sync", trusted=True)
    client.force_login(demo["organization"])

    content = text(client.get(list_url(demo["organization"])))

    edit = reverse("apps_registry:edit", args=[app.pk])
    assert re.search(rf'<a href="{edit}" id="app-{app.pk}" hx-get="{edit}"[^>]*>Billing Sync</a>', content)
    assert app.client_id in content
    assert '<td class="col-trusted d-none d-sm-table-cell">Yes</td>' in content
    assert app.created.strftime("%Y-%m-%d") in content


def test_changelist_shows_an_https_image_and_a_placeholder_otherwise(demo, client):
    AppFactory(owner=demo["user"], name="Safe", image_uri="https://img.example/logo.png")
    AppFactory(owner=demo["user"], name="Plain", image_uri="http://img.example/plain.png")
    AppFactory(owner=demo["user"], name="None")
    client.force_login(demo["user"])

    content = text(client.get(list_url(demo["user"])))

    assert 'src="https://img.example/logo.png"' in content
    assert "http://img.example/plain.png" not in content
    assert content.count('class="app-image-placeholder"') == 2


def test_changelist_searches_by_name_or_key(demo, client):
    one = AppFactory(owner=demo["organization"], name="Calendar Sync")
    two = AppFactory(owner=demo["organization"], name="Billing")
    client.force_login(demo["organization"])
    url = list_url(demo["organization"])

    by_name = text(client.get(url, {"q": "calendar"}))
    by_key = text(client.get(url, {"q": two.client_id[4:20]}))

    assert "Calendar Sync" in by_name and "Billing" not in by_name
    assert "1 App matching" in by_name
    assert "Billing" in by_key and "Calendar Sync" not in by_key
    assert one.client_id not in by_key


def test_changelist_sorts_by_a_column_both_ways(demo, client):
    for name in ["Bravo", "Alpha", "Charlie"]:
        AppFactory(owner=demo["user"], name=name)
    client.force_login(demo["user"])
    url = list_url(demo["user"])

    def names(order):
        return re.findall(r'<a href="/apps/\d+/"[^>]*>(\w+)</a>', text(client.get(url, {"o": order})))

    assert names("name") == ["Alpha", "Bravo", "Charlie"]
    assert names("-name") == ["Charlie", "Bravo", "Alpha"]
    assert names("-created") == ["Charlie", "Alpha", "Bravo"]
    assert names("bogus;drop") == ["Alpha", "Bravo", "Charlie"]
    assert 'aria-sort="descending"' in text(client.get(url, {"o": "-name"}))


def test_changelist_paginates_and_counts(demo, client):
    for i in range(55):
        AppFactory(owner=demo["user"], name=f"App {i:02d}")
    client.force_login(demo["user"])
    url = list_url(demo["user"])

    first = text(client.get(url))
    second = text(client.get(url, {"page": 2}))
    nonsense = client.get(url, {"page": "x'"})

    assert "55 Apps" in first and "Page 1 of 2" in first
    assert "App 00" in first and "App 54" not in first
    assert "App 54" in second and "App 00" not in second
    assert nonsense.status_code == 200


def test_changelist_htmx_request_gets_the_table_fragment_only(demo, client):
    AppFactory(owner=demo["organization"], api=Api.UNIFIEDAPI, name="Call Recorder")
    client.force_login(demo["organization"])

    response = client.get(list_url(demo["organization"], Api.UNIFIEDAPI), headers=HTMX)

    content = text(response)
    assert response.status_code == 200
    assert "<html" not in content
    assert content.lstrip().startswith('<div id="changelist"')
    assert "Call Recorder" in content
    assert 'hx-get="?api=systemapi"' in content  # the tabs are links htmx enhances
    assert "HX-Request" in response["Vary"]


def test_changelist_history_restore_gets_the_whole_page(demo, client):
    client.force_login(demo["organization"])

    response = client.get(
        list_url(demo["organization"]), headers={**HTMX, "HX-History-Restore-Request": "true"}
    )

    assert "<html" in text(response)


def test_changelist_offers_add_and_audit_links_and_service_provider_unifiedapi_offers_no_add(demo, client):
    client.force_login(demo["provider"])

    system = text(client.get(list_url(demo["provider"])))
    unified = text(client.get(list_url(demo["provider"], Api.UNIFIEDAPI)))

    assert f'href="{add_url(demo["provider"])}"' in system
    assert "Add App" not in unified
    assert "/apps/add/" not in unified
    assert "Service Provider accounts cannot own UnifiedAPI Apps." in unified
    assert reverse("apps_registry:audit", args=[demo["provider"].pk]) in system


def test_account_home_page_links_to_the_audit_trail(demo, client):
    client.force_login(demo["organization"])

    content = text(client.get(reverse("accounts:detail", args=[demo["user"].pk])))

    assert reverse("apps_registry:audit", args=[demo["user"].pk]) in content


# --- Add App --------------------------------------------------------------------------------


def test_add_form_shows_the_fields_in_design_order_and_the_generated_credentials(demo, client):
    client.force_login(demo["organization"])

    response = client.get(add_url(demo["organization"], Api.UNIFIEDAPI))

    content = text(response)
    labels = re.findall(r'<label[^>]*for="(id_\w+|generated-[\w-]+|api-display)"', content)
    assert labels == [
        "id_name",
        "id_description",
        "id_homepage",
        "id_image_uri",
        "id_email",
        "id_phone",
        "id_trusted",
        "id_redirect_uri",
        "generated-client-id",
        "generated-client-secret",
        "api-display",
    ]
    generated = response.context["form"].generated
    assert is_credential(generated["client_id"]) and is_credential(generated["client_secret"])
    assert f'value="{generated["client_id"]}" readonly' in content
    assert f'value="{generated["client_secret"]}" readonly' in content
    assert 'value="UnifiedAPI" readonly' in content
    assert ">OK</button>" in content and ">Cancel</a>" in content
    assert "no-store" in response["Cache-Control"]


def test_add_form_as_htmx_is_the_dialog_fragment_posting_back_into_the_modal(demo, client):
    client.force_login(demo["organization"])

    content = text(client.get(add_url(demo["organization"]), headers=HTMX))

    assert "<html" not in content
    assert 'class="modal-header"' in content
    assert f'hx-post="{add_url(demo["organization"])}"' in content
    assert 'hx-target="#modal-content"' in content


def test_adding_an_app_without_javascript_creates_it_with_the_shown_credentials(demo, client):
    owner = demo["organization"]
    client.force_login(demo["provider"])
    page = client.get(add_url(owner, Api.UNIFIEDAPI))
    shown = page.context["form"].generated

    response = client.post(add_url(owner, Api.UNIFIEDAPI), form_data(page), REMOTE_ADDR="198.51.100.7")

    assert response.status_code == 302
    assert response["Location"] == list_url(owner, Api.UNIFIEDAPI)
    app = App.objects.get(name="Calendar Sync")
    assert (app.owner, app.api, app.trusted) == (owner, Api.UNIFIEDAPI, True)
    assert app.client_id == shown["client_id"]
    assert app.check_secret(shown["client_secret"])
    assert (app.image_uri, app.phone) == ("https://calendar.example/logo.png", "+1 555 0100")
    event = AuditEvent.objects.get(app=app)
    assert (event.action, event.actor, event.source, event.ip_address) == (
        AuditAction.CREATE,
        demo["provider"],
        "portal",
        "198.51.100.7",
    )
    assert messages_of(response) == [
        f'The App “<a href="/apps/{app.pk}/" class="alert-link">Calendar Sync</a>” was added. Its App ID/key '
        f'is <span class="font-monospace key">{app.client_id}</span>.'
    ]


def test_adding_an_app_with_htmx_closes_the_modal_and_refreshes_the_table(demo, client):
    owner = demo["user"]
    client.force_login(owner)
    page = client.get(add_url(owner), headers=HTMX)

    response = client.post(add_url(owner), form_data(page), headers=HTMX)

    assert response.status_code == 204
    assert set(json.loads(response["HX-Trigger"])) == {"closeModal", "appsChanged"}
    assert App.objects.filter(owner=owner, name="Calendar Sync").exists()
    refreshed = text(client.get(list_url(owner), headers=HTMX))
    assert "Calendar Sync" in refreshed
    assert '<div id="messages" hx-swap-oob="true">' in refreshed
    assert "The App “<a" in refreshed and "Calendar Sync</a>” was added. Its App ID/key is" in refreshed


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["page", "htmx"])
def test_an_http_redirect_url_keeps_the_form_open_with_the_error_beside_the_field(headers, demo, client):
    owner = demo["organization"]
    client.force_login(owner)
    page = client.get(add_url(owner), headers=headers)
    shown = page.context["form"].generated

    response = client.post(
        add_url(owner), {**form_data(page), "redirect_uri": "http://calendar.example/cb"}, headers=headers
    )

    content = text(response)
    assert response.status_code == 200
    assert response.context["form"].errors == {"redirect_uri": ["Enter an absolute https:// URL."]}
    assert 'id="id_redirect_uri"' in content and "is-invalid" in content
    assert ("<html" in content) == (not headers)
    # The same generated pair stays on the form, and nothing was created.
    assert response.context["form"].generated == shown
    assert not App.objects.filter(owner=owner).exists()
    assert not AuditEvent.objects.exists()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", "x" * 256),
        ("name", ""),
        ("name", "two\nlines"),
        ("name", "nul\x00byte"),
        ("description", "d" * 1001),
        ("homepage", "https://example.com/" + "p" * 2000),
        ("homepage", "javascript:alert(1)"),
        ("image_uri", "ftp://img.example/logo.png"),
        ("email", "not-an-address"),
        ("email", "a" * 250 + "@example.com"),
        ("phone", "call me"),
        ("phone", "1" * 40),
        ("redirect_uri", "https://calendar.example/cb#fragment"),
        ("redirect_uri", "https://user:pass@calendar.example/cb"),
        ("redirect_uri", "/relative"),
    ],
)
def test_bad_fields_get_form_errors_never_a_500_and_create_nothing(field, value, demo, client):
    owner = demo["organization"]
    client.force_login(owner)
    page = client.get(add_url(owner))

    response = client.post(add_url(owner), {**form_data(page), field: value})

    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert not App.objects.exists()


def test_a_credential_pair_the_user_chose_is_refused(demo, client):
    owner = demo["organization"]
    client.force_login(owner)
    page = client.get(add_url(owner))
    forged = "A" * 32

    for credentials in [
        forged,
        page.context["form"]["credentials"].value()[:-2] + "xx",
        sign_credentials(owner_pk=owner.pk + 1000, api=Api.SYSTEMAPI, client_id=forged, client_secret=forged),
        sign_credentials(owner_pk=owner.pk, api=Api.UNIFIEDAPI, client_id=forged, client_secret=forged),
    ]:
        response = client.post(add_url(owner), {**form_data(page), "credentials": credentials})
        assert response.status_code == 200
        assert text(response).count("could not be checked") == 1
        # New ones are offered for the next try.
        assert response.context["form"].generated["client_id"] != forged
    assert not App.objects.exists()


def test_submitting_the_same_add_form_twice_creates_one_app_and_shows_it(demo, client):
    owner = demo["organization"]
    client.force_login(owner)
    page = client.get(add_url(owner))
    data = form_data(page)

    first = client.post(add_url(owner), data)
    # Back, then OK again (no JavaScript): the same signed credentials.
    second = client.post(add_url(owner), data, follow=True)

    app = App.objects.get(owner=owner)
    assert first.status_code == 302
    assert app.client_id == page.context["form"].generated["client_id"]
    assert second.redirect_chain == [(app.get_absolute_url(), 302)]
    assert messages_of(second)[-1:] == [
        "This form was sent already: the App “Calendar Sync” was added then, and nothing more was added now."
    ]
    assert App.objects.filter(owner=owner).count() == 1


def test_an_add_form_sent_twice_with_htmx_closes_the_modal_and_shows_the_list(demo, client):
    owner = demo["organization"]
    client.force_login(owner)
    data = form_data(client.get(add_url(owner)))
    client.post(add_url(owner), data, headers=HTMX)

    second = client.post(add_url(owner), data, headers=HTMX)

    assert second.status_code == 204
    assert {"appsChanged", "closeModal"} <= set(json.loads(second["HX-Trigger"]))
    assert App.objects.filter(owner=owner).count() == 1


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["page", "htmx"])
def test_forcing_a_unifiedapi_app_on_a_service_provider_is_refused_with_a_message(headers, demo, client):
    provider = demo["provider"]
    client.force_login(demo["admin"])
    credentials = sign_credentials(
        owner_pk=provider.pk,
        api=Api.UNIFIEDAPI,
        client_id=generate_credential(),
        client_secret=generate_credential(),
    )
    data = {
        "name": "Forced",
        "homepage": "https://forced.example/",
        "email": "dev@forced.example",
        "redirect_uri": "https://forced.example/cb",
        "credentials": credentials,
    }

    shown = client.get(add_url(provider, Api.UNIFIEDAPI), headers=headers)
    posted = client.post(add_url(provider, Api.UNIFIEDAPI), data, headers=headers)

    target = list_url(provider, Api.UNIFIEDAPI)
    for response in (shown, posted):
        if headers:
            assert response["HX-Redirect"] == target
        else:
            assert response.status_code == 302 and response["Location"] == target
    assert messages_of(posted) == ["Service Provider accounts cannot own UnifiedAPI Apps."] * 2
    assert not App.objects.exists()


def test_an_account_at_its_app_limit_is_told_so_and_gets_no_new_app(demo, client, settings):
    settings.APP_LIMIT_PER_ACCOUNT = 2
    owner = demo["user"]
    AppFactory.create_batch(2, owner=owner)
    client.force_login(owner)

    page = client.get(add_url(owner))
    response = client.post(add_url(owner), form_data(page))

    assert "already owns 2 Apps" in text(page)
    assert response.status_code == 200
    assert "already owns 2 Apps" in text(response)
    assert response.context["form"].non_field_errors()
    assert App.objects.filter(owner=owner).count() == 2


def test_an_unknown_api_in_the_add_url_falls_back_to_systemapi(demo, client):
    client.force_login(demo["user"])

    response = client.get(reverse("apps_registry:add", args=[demo["user"].pk]), {"api": "bogus"})

    assert response.context["api"] == Api.SYSTEMAPI


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


# --- audit trail ----------------------------------------------------------------------------


def test_audit_trail_shows_who_did_what_to_which_app_when_and_from_where(demo, client):
    owner = demo["user"]
    client.force_login(demo["organization"])
    data = form_data(client.get(add_url(owner)))
    client.post(add_url(owner), data, REMOTE_ADDR="192.0.2.44")
    app = App.objects.get()
    secret = app.client_secret
    client.post(reverse("apps_registry:reveal_secret", args=[app.pk]))
    client.post(reverse("apps_registry:remove", args=[app.pk]))
    other = AppFactory(owner=owner, name="Other")
    client.post(reverse("apps_registry:disable", args=[other.pk]))

    response = client.get(reverse("apps_registry:audit", args=[owner.pk]))
    filtered = client.get(reverse("apps_registry:audit", args=[owner.pk]), {"app": other.client_id})

    content = text(response)
    assert "4 events" in content
    for shown in ("Created", "Revealed the secret", "Removed", "Disabled", "192.0.2.44", "organization"):
        assert shown in content
    assert app.client_id in content  # a removed App keeps its history
    assert secret not in content
    assert "1 event" in text(filtered) and "Calendar Sync</td>" not in text(filtered)


@pytest.mark.parametrize("query", [{"app": "x" * 5000}, {"page": "-1"}, {"page": "9" * 30}, {"app": "'\""}])
def test_audit_trail_survives_nonsense_parameters(query, demo, client):
    client.force_login(demo["user"])

    response = client.get(reverse("apps_registry:audit", args=[demo["user"].pk]), query)

    assert response.status_code == 200
    assert "0 events" in text(response)


def test_audit_trail_shows_only_the_accounts_own_events(demo, client):
    AppFactory(owner=demo["organization"], name="Parent App")
    client.force_login(demo["organization"])
    parent = App.objects.get()
    client.post(reverse("apps_registry:disable", args=[parent.pk]))
    client.get(list_url(demo["organization"]))  # shows (and so drops) the "disabled" message

    content = text(client.get(reverse("apps_registry:audit", args=[demo["user"].pk])))

    assert "Parent App" not in content
    assert "0 events" in content


def test_audit_trail_details_are_words_and_times_carry_their_time_zone(demo, client, make_tokens, settings):
    owner = demo["user"]
    app = AppFactory(owner=owner, name="Worded")
    make_tokens(app, 3)
    client.force_login(owner)
    edit = reverse("apps_registry:edit", args=[app.pk])
    client.post(
        edit,
        {
            "name": "Worded",
            "homepage": "https://new.example/",
            "email": app.email,
            "redirect_uri": "https://new.example/cb",
            "phone": "+1 555 0100",
        },
    )
    client.post(reverse("apps_registry:revoke_tokens", args=[app.pk]), {"confirmed": "yes"})
    client.post(reverse("apps_registry:regenerate_secret", args=[app.pk]))
    settings.TIME_ZONE = "Europe/Bucharest"

    content = plain(client.get(reverse("apps_registry:audit", args=[owner.pk])))

    assert "Changed homepage, admin phone and redirect URL" in content
    assert "3 access tokens and 3 refresh tokens revoked" in content
    assert "No live token" in content  # regenerating after the revoke
    assert "fields:" not in content and "access_tokens" not in content and "refresh tokens:" not in content
    assert "times in Europe/Bucharest" in content
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d EET", content)


def _audit_rows(demo, client):
    """Events by two actors over three days: a created App, a disabled App, an account edit."""
    from datetime import timedelta

    from django.utils import timezone

    from accounts.models import AccountEvent
    from accounts.services import account_update
    from portal.audit import COMMAND_LINE

    owner = demo["user"]
    client.force_login(demo["organization"])
    client.post(add_url(owner), form_data(client.get(add_url(owner))))
    client.force_login(owner)
    other = AppFactory(owner=owner, name="Other")
    client.post(reverse("apps_registry:disable", args=[other.pk]))
    account_update(actor=owner, account=owner, origin=COMMAND_LINE, phone="+1 555 0199")
    now = timezone.now()
    AuditEvent.objects.filter(action=AuditAction.CREATE).update(created=now - timedelta(days=2))
    AuditEvent.objects.filter(action=AuditAction.DISABLE).update(created=now - timedelta(days=1))
    assert AccountEvent.objects.filter(account=owner).exists()
    return owner, now.date()


def test_audit_trail_filters_by_action_actor_and_dates(demo, client):
    from datetime import timedelta

    owner, today = _audit_rows(demo, client)
    url = reverse("apps_registry:audit", args=[owner.pk])

    def shown(**params):
        return re.findall(r'<td data-label="Did">([^<]+)</td>', text(client.get(url, params)))

    assert shown() == ["Account edited", "Disabled", "Created"]
    assert shown(action="app:disable") == ["Disabled"]
    assert shown(action="account:update") == ["Account edited"]
    assert shown(actor="organization") == ["Created"]
    assert shown(actor="USER") == ["Account edited", "Disabled"]
    assert shown(**{"from": str(today - timedelta(days=1))}) == ["Account edited", "Disabled"]
    assert shown(**{"to": str(today - timedelta(days=1))}) == ["Disabled", "Created"]
    one_day = str(today - timedelta(days=2))
    assert shown(**{"from": one_day, "to": one_day}) == ["Created"]
    assert shown(action="drop table", **{"from": "yesterday"}) == ["Account edited", "Disabled", "Created"]
    page = text(client.get(url, {"actor": "user", "action": "app:disable"}))
    assert '<option value="app:disable" selected>' in page
    assert f'href="/accounts/{owner.pk}/audit.csv?actor=user&action=app%3Adisable"' in page


def test_audit_trail_csv_has_the_filtered_events_in_words_and_no_secret(demo, client):
    import csv as csv_module

    owner, _today = _audit_rows(demo, client)
    app = App.objects.get(name="Calendar Sync")
    client.force_login(demo["provider"])
    url = reverse("apps_registry:audit_csv", args=[owner.pk])

    response = client.get(url)
    filtered = client.get(url, {"actor": "organization"})

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv_module.reader(b"".join(response.streaming_content).decode().splitlines()))
    assert rows[0] == [
        "when",
        "time zone",
        "who",
        "did",
        "app or account",
        "app id/key",
        "through",
        "from address",
        "details",
    ]
    assert [row[3] for row in rows[1:]] == ["Account edited", "Disabled", "Created"]
    created = rows[3]
    assert created[1] == "UTC" and created[2] == "organization"
    assert created[4:7] == ["Calendar Sync", app.client_id, "Portal"] or created[4:6] == [
        "Calendar Sync",
        app.client_id,
    ]
    assert created[8] == "SystemAPI App"
    assert rows[1][8] == "Changed phone"
    assert app.client_secret not in b"".join(client.get(url).streaming_content).decode()
    assert [row[3] for row in csv_module.reader(b"".join(filtered.streaming_content).decode().splitlines())][
        1:
    ] == ["Created"]


@pytest.mark.parametrize(
    ("actor", "target"), [("user", "organization"), ("organization2", "user"), ("user2", "user")]
)
def test_audit_trail_csv_out_of_reach_is_404(actor, target, demo, client):
    AppFactory(owner=demo[target])
    client.force_login(demo[actor])

    response = client.get(reverse("apps_registry:audit_csv", args=[demo[target].pk]))

    assert response.status_code == 404


def test_audit_trail_csv_keeps_a_formula_from_running(demo, client):
    owner = demo["user"]
    app = AppFactory(owner=owner, name='=HYPERLINK("http://evil.example")')
    client.force_login(owner)
    client.post(reverse("apps_registry:disable", args=[app.pk]))

    body = b"".join(
        client.get(reverse("apps_registry:audit_csv", args=[owner.pk])).streaming_content
    ).decode()

    assert "'=HYPERLINK" in body and ",=HYPERLINK" not in body


# --- performance ----------------------------------------------------------------------------


def make_apps(owner, count: int) -> None:
    """`count` SystemAPI Apps in one INSERT, and their secrets in another (encrypted once,
    shared: enough here)."""
    template = AppFactory.build(owner=owner)
    apps = App.objects.bulk_create(
        [
            App(
                owner=owner,
                api=Api.SYSTEMAPI,
                name=f"Bulk {i:04d}",
                homepage=template.homepage,
                email=template.email,
                redirect_uri=template.redirect_uri,
                image_uri="https://img.example/logo.png" if i % 2 else "",
            )
            for i in range(count)
        ],
        batch_size=500,
    )
    secret = template.live_secrets[0].encrypted_secret
    AppSecret.objects.bulk_create([AppSecret(app=app, encrypted_secret=secret) for app in apps])


def give_tokens_and_grants(owner, account) -> None:
    """A live access token of `account` and its grant for each App of `owner` that has none: the
    list's counts (live tokens, authorized accounts) then have something to count on every row."""
    apps = list(
        App.objects.filter(owner=owner).exclude(authorizations__account=account).values_list("pk", "api")
    )
    expires = timezone.now() + timedelta(hours=1)
    AccessToken.objects.bulk_create(
        [
            AccessToken(user=account, application_id=pk, token=f"count-{pk}", expires=expires)
            for pk, _ in apps
        ],
        batch_size=500,
    )
    AppAuthorization.objects.bulk_create(
        [AppAuthorization(app_id=pk, account=account, api=api) for pk, api in apps], batch_size=500
    )


@pytest.mark.parametrize("count", [10, 1000])
@pytest.mark.parametrize(
    "params",
    [
        {},
        {"q": "Bulk", "o": "-created", "page": "2"},
        {"trusted": "0", "enabled": "1", "created": "year", "page": "3"},
    ],
)
def test_changelist_queries_do_not_grow_with_the_number_of_apps(
    count, params, demo, client, django_assert_max_num_queries
):
    owner = demo["organization"]
    make_apps(owner, count)
    give_tokens_and_grants(owner, demo["user"])
    client.force_login(demo["provider"])

    with django_assert_max_num_queries(8) as captured:
        response = client.get(list_url(owner), params)

    assert response.status_code == 200
    assert f"{count} Apps" in text(response)
    print(f"changelist with {count} Apps {params}: {len(captured)} queries")


@pytest.mark.parametrize("order", ["", "-tokens", "authorized"])
def test_changelist_takes_the_same_queries_whatever_the_number_of_apps_and_tokens(
    order, demo, client, make_tokens
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    owner = demo["organization"]
    client.force_login(demo["provider"])
    counts = []
    for total, tokens in ((10, 1), (1000, 500)):
        make_apps(owner, total - App.objects.filter(owner=owner).count())
        give_tokens_and_grants(owner, demo["user"])
        make_tokens(App.objects.filter(owner=owner).order_by("name").first(), tokens)  # on page 1
        with CaptureQueriesContext(connection) as captured:
            assert client.get(list_url(owner), {"o": order} if order else {}).status_code == 200
        counts.append(len(captured))
        # The tokens are counted once, for the page: never for the count of Apps.
        assert sum("apps_registry_accesstoken" in query["sql"] for query in captured) == 1

    assert counts[0] == counts[1]


def test_bulk_remove_page_urlsplit_keeps_the_tab(demo, client):
    app = AppFactory(owner=demo["user"], api=Api.UNIFIEDAPI)
    client.force_login(demo["user"])

    response = client.post(
        reverse("apps_registry:bulk_remove", args=[demo["user"].pk]),
        {"app": [app.pk], "api": Api.UNIFIEDAPI, "confirmed": "yes"},
    )

    assert urlsplit(response["Location"]).query == "api=unifiedapi"


def test_changelist_rows_escape_what_the_apps_say_and_link_to_each_app(demo, client):
    """The rows are written by the view, not by the template engine (make bench, P4): every
    value must still be escaped, and each row still links to its App."""
    owner = demo["organization"]
    shown = AppFactory(
        owner=owner,
        name="<b>Bold</b> & \"quoted\" 'name'",
        image_uri="https://img.example/logo.png?size=1&dark=1",
    )
    hidden_image = AppFactory(owner=owner, name="Plain image", image_uri="http://img.example/logo.png")
    disabled = AppFactory(owner=owner, name="Switched off", enabled=False, trusted=True)
    client.force_login(demo["provider"])

    response = client.get(list_url(owner))

    html = response.content.decode()
    assert "<b>Bold</b>" not in html
    assert "&lt;b&gt;Bold&lt;/b&gt; &amp; &quot;quoted&quot; &#x27;name&#x27;" in html
    assert 'src="https://img.example/logo.png?size=1&amp;dark=1"' in html
    assert "http://img.example/logo.png" not in html
    for app in (shown, hidden_image, disabled):
        assert f'href="{reverse("apps_registry:edit", args=[app.pk])}"' in html
        assert f'name="app" value="{app.pk}"' in html
    row = re.search(r"<tr>(?:(?!</tr>).)*Switched off.*?</tr>", html, re.S).group(0)
    assert '<span class="badge text-bg-warning">No</span>' in row
    assert '<td class="col-trusted d-none d-sm-table-cell">Yes</td>' in row  # trusted
    created = disabled.created.astimezone(UTC)
    assert f'<time datetime="{created.isoformat()}">{created:%Y-%m-%d %H:%M}</time>' in row


def test_adding_an_app_like_an_existing_one_warns_first_then_adds_on_a_second_ok(demo, client):
    owner = demo["organization"]
    client.force_login(owner)
    AppFactory(owner=owner, name="Calendar Sync", redirect_uri="https://calendar.example/oauth/callback")
    data = form_data(client.get(add_url(owner)))

    warned = client.post(add_url(owner), data)

    assert warned.status_code == 200
    assert "organization already has an App named “ Calendar Sync ” with this redirect URL" in plain(warned)
    assert App.objects.filter(owner=owner).count() == 1
    again = {**data, "add_anyway": warned.context["form"]["add_anyway"].value()}
    assert client.post(add_url(owner), again).status_code == 302
    assert App.objects.filter(owner=owner).count() == 2


def test_changelist_rows_show_a_description_excerpt_to_tell_twins_apart(demo, client):
    owner = demo["user"]
    AppFactory(owner=owner, name="Twin", description="Syncs the sales calendar " + "x" * 200)
    AppFactory(owner=owner, name="Twin", description="Sends invoices")
    client.force_login(owner)

    page = text(client.get(list_url(owner)))

    assert '<div class="small text-body-secondary app-description">Sends invoices</div>' in page
    assert "Syncs the sales calendar " + "x" * 54 + "…" in page


def test_tabs_count_the_accounts_apps_against_the_limit_and_add_says_when_it_is_reached(
    demo, client, settings
):
    owner = demo["organization"]
    settings.APP_LIMIT_PER_ACCOUNT = 2
    AppFactory(owner=owner, api=Api.SYSTEMAPI)
    client.force_login(owner)

    below = client.get(list_url(owner))
    AppFactory(owner=owner, api=Api.UNIFIEDAPI)
    at_limit = client.get(list_url(owner))

    assert "1 of 2 Apps in this account" in plain(below)
    assert 'id="add-app"' in text(below)
    assert "2 of 2 Apps in this account" in plain(at_limit)
    assert 'id="add-app"' not in text(at_limit)
    assert "This account owns 2 Apps, the most it may: remove one to add another." in plain(at_limit)
    assert re.search(r"<button[^>]*disabled[^>]*>Add App</button>", text(at_limit))


def test_the_app_form_has_no_placeholder_that_looks_like_a_value_and_says_admin_email(demo, client):
    owner = demo["user"]
    client.force_login(owner)

    page = text(client.get(add_url(owner)))

    assert "placeholder=" not in page
    assert "Admin email" in page
    assert "Activate this option only if you trust the App." in page


def test_favicon_ico_exists_without_signing_in(client):
    response = client.get("/favicon.ico", follow=True)

    assert response.status_code == 200
    assert b"".join(response.streaming_content)[:4] == b"\x00\x00\x01\x00"
