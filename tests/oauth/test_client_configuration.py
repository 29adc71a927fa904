"""RFC 7592 client configuration at /oauth/register/<client_id> (design §6.1): read, replace,
delete with the registration access token; and how the portal shows registered Apps."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse

from apps_registry.models import App, AuditAction, AuditEvent, ClientRegistration
from apps_registry.services import COMMAND_LINE, app_regenerate_secret, app_reveal_secret, app_update
from tests.factories import AppFactory

pytestmark = pytest.mark.django_db


def metadata(**changes) -> dict:
    body = {
        "client_name": "Calendar Sync",
        "redirect_uris": ["https://calendar.example/cb", "https://calendar.example/cb2"],
        "contacts": ["dev@calendar.example"],
        "scope": "unifiedapi",
    }
    body.update(changes)
    return {key: value for key, value in body.items() if value is not None}


@pytest.fixture
def registered(client, demo, settings):
    """A confidential App registered with an initial access token, and a public one through
    open registration: (client information response, App) pairs."""
    from io import StringIO

    out = StringIO()
    call_command("create_initial_access_token", "--account", "user", "--name", "t", "--uses", "5", stdout=out)
    token = out.getvalue().strip()
    settings.OAUTH_OPEN_REGISTRATION_ACCOUNT = "organization"

    def make(public: bool = False) -> tuple[dict, App]:
        body = (
            metadata(token_endpoint_auth_method="none", redirect_uris=["http://127.0.0.1:4000/cb"])
            if public
            else metadata()
        )
        headers = {} if public else {"HTTP_AUTHORIZATION": f"Bearer {token}"}
        response = client.post(
            "/oauth/register", json.dumps(body), content_type="application/json", secure=True, **headers
        )
        assert response.status_code == 201, response.content
        info = response.json()
        return info, App.objects.get(client_id=info["client_id"])

    return make


def call(client, method: str, info: dict, body=None, token: str | None = None):
    path = "/oauth/register/" + info["client_id"]
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token or info['registration_access_token']}"}
    data = json.dumps(body) if body is not None else ""
    return getattr(client, method)(path, data=data, content_type="application/json", secure=True, **headers)


def test_read_returns_the_registration_and_audits_the_secret(client, registered):
    info, app = registered()
    response = call(client, "get", info)
    assert response.status_code == 200
    assert response.json() == info
    assert "no-store" in response["Cache-Control"]
    reveal = AuditEvent.objects.get(app=app, action=AuditAction.REVEAL_SECRET)
    assert reveal.source == "registration"


def test_wrong_or_missing_token_is_401_and_reveals_nothing(client, registered):
    info, app = registered()
    other, _ = registered()
    for token in ("rat_wrong", other["registration_access_token"]):
        response = call(client, "get", info, token=token)
        assert response.status_code == 401 and response["WWW-Authenticate"] == 'Bearer error="invalid_token"'
    missing = client.get("/oauth/register/" + info["client_id"], secure=True)
    assert missing.status_code == 401
    assert call(client, "delete", info, token="rat_wrong").status_code == 401
    assert (
        call(client, "put", info, metadata(client_id=info["client_id"]), token="rat_wrong").status_code == 401
    )
    assert App.objects.filter(pk=app.pk).exists()
    assert not AuditEvent.objects.filter(action=AuditAction.REVEAL_SECRET).exists()


def test_update_replaces_the_metadata(client, registered):
    info, app = registered()
    body = metadata(
        client_id=info["client_id"],
        client_secret=info["client_secret"],
        client_name="Calendar Sync 2",
        redirect_uris=["https://calendar.example/new"],
        contacts=None,  # left out: the default (the owner's e-mail)
    )
    response = call(client, "put", info, body)
    assert response.status_code == 200, response.content
    app.refresh_from_db()
    assert app.name == "Calendar Sync 2" and app.all_redirect_uris == ["https://calendar.example/new"]
    assert app.email == app.owner.email
    assert response.json()["redirect_uris"] == ["https://calendar.example/new"]
    assert response.json()["contacts"] == []
    assert ClientRegistration.objects.get(app=app).metadata["client_name"] == "Calendar Sync 2"
    update = AuditEvent.objects.get(app=app, action=AuditAction.UPDATE)
    assert update.source == "registration" and "name" in update.details["fields"]


@pytest.mark.parametrize(
    ("change", "says"),
    [
        ({"client_id": "someone-else"}, "client_id"),
        ({"client_secret": "x" * 32}, "client_secret"),
        ({"scope": "systemapi"}, "cannot change"),
        ({"token_endpoint_auth_method": "none"}, "cannot change"),
        ({"redirect_uris": ["http://calendar.example/cb"]}, "https://"),
    ],
)
def test_bad_update_changes_nothing(client, registered, change, says):
    info, app = registered()
    body = {**metadata(client_id=info["client_id"], client_name="Changed"), **change}
    response = call(client, "put", info, body)
    assert response.status_code == 400
    assert says in response.json()["error_description"]
    app.refresh_from_db()
    assert app.name == "Calendar Sync"
    assert not AuditEvent.objects.filter(app=app, action=AuditAction.UPDATE).exists()


def test_delete_removes_the_app_and_its_token(client, registered):
    info, app = registered()
    response = call(client, "delete", info)
    assert response.status_code == 204
    assert not App.objects.filter(pk=app.pk).exists()
    assert (
        AuditEvent.objects.get(app_client_id=app.client_id, action=AuditAction.REMOVE).source
        == "registration"
    )
    assert call(client, "get", info).status_code == 401


def test_an_app_removed_in_the_portal_answers_401(client, registered, demo):
    info, app = registered()
    client.force_login(demo["user"])
    client.post(reverse("apps_registry:remove", args=[app.pk]))
    assert not App.objects.filter(pk=app.pk).exists()
    assert call(client, "get", info).status_code == 401


def test_public_client_read_has_no_secret_and_no_reveal(client, registered):
    info, _app = registered(public=True)
    response = call(client, "get", info)
    assert response.status_code == 200 and "client_secret" not in response.json()
    assert not AuditEvent.objects.filter(action=AuditAction.REVEAL_SECRET).exists()
    # An open-registered client stays public.
    body = metadata(client_id=info["client_id"], redirect_uris=["http://127.0.0.1:4000/cb"])
    assert call(client, "put", info, body).status_code == 400


# --- Public Apps in the portal -----------------------------------------------------------------


def test_public_app_page_shows_no_secret_and_a_badge(client, registered, demo):
    _info, app = registered(public=True)
    client.force_login(demo["organization"])
    page = client.get(reverse("apps_registry:edit", args=[app.pk])).content.decode()
    assert 'id="public-client"' in page and "None: a public client" in page
    assert "Reveal" not in page and 'id="regenerate-secret"' not in page
    assert "open registration" in page
    listing = client.get(reverse("apps_registry:list", args=[demo["organization"].pk]) + "?api=unifiedapi")
    assert "Public client" in listing.content.decode()


def test_reveal_and_regenerate_refuse_a_public_app(client, registered, demo):
    _info, app = registered(public=True)
    client.force_login(demo["organization"])
    for name in ("apps_registry:reveal_secret", "apps_registry:regenerate_secret"):
        response = client.post(reverse(name, args=[app.pk]), follow=True)
        assert "has no secret" in response.content.decode()
    with pytest.raises(ValidationError, match="no secret"):
        app_reveal_secret(actor=demo["organization"], app=app, origin=COMMAND_LINE)
    with pytest.raises(ValidationError, match="no secret"):
        app_regenerate_secret(actor=demo["organization"], app=app, origin=COMMAND_LINE)
    assert not AuditEvent.objects.filter(
        action__in=[AuditAction.REVEAL_SECRET, AuditAction.REGENERATE_SECRET]
    ).exists()


def test_bulk_regenerate_skips_public_apps(client, registered, demo):
    _info, app = registered(public=True)
    other = AppFactory(owner=demo["organization"], api="unifiedapi")
    client.force_login(demo["organization"])
    response = client.post(
        reverse("apps_registry:bulk_action", args=[demo["organization"].pk]),
        {"action": "regenerate", "app": [app.pk, other.pk], "api": "unifiedapi", "confirmed": "yes"},
        follow=True,
    )
    assert "has no secret to regenerate" in response.content.decode()
    assert AuditEvent.objects.filter(action=AuditAction.REGENERATE_SECRET).count() == 1


def test_a_public_app_cannot_be_made_trusted(registered, demo):
    _info, app = registered(public=True)
    with pytest.raises(ValidationError, match="public client"):
        app_update(actor=demo["organization"], app=app, origin=COMMAND_LINE, trusted=True)
    app.refresh_from_db()
    assert not app.trusted


def test_registered_app_shows_its_other_redirect_urls(client, registered, demo):
    _info, app = registered()
    client.force_login(demo["user"])
    page = client.get(reverse("apps_registry:edit", args=[app.pk])).content.decode()
    assert "https://calendar.example/cb2" in page and "initial access token" in page
