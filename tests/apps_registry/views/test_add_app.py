"""The App management pages (design §4) as the test client sees them: with htmx
(`HX-Request`) and without JavaScript, for every persona, on good and bad paths: Add App."""

import json
import re

import pytest
from django.urls import reverse

from apps_registry.crypto import generate_credential, is_credential
from apps_registry.forms import sign_credentials
from apps_registry.models import Api, App, AuditAction, AuditEvent
from tests.factories import AppFactory
from tests.helpers import HTMX, add_url, form_data, list_url, messages_of, plain, text

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
    assert ">Save</button>" in content and ">Cancel</a>" in content
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
    # Back, then Save again (no JavaScript): the same signed credentials.
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


def test_the_app_form_has_no_placeholder_that_looks_like_a_value_and_says_admin_email(demo, client):
    owner = demo["user"]
    client.force_login(owner)

    page = text(client.get(add_url(owner)))

    assert "placeholder=" not in page
    assert "Admin email" in page
    assert "Activate this option only if you trust the App." in page
