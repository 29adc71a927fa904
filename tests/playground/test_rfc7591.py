"""The playground's "Register with RFC 7591" (design §6.1): the JSON request an App sends to
/oauth/register, served in-process and shown; then the new App's code flow from the playground."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from apps_registry.models import App, AuditEvent
from oauth.services import initial_access_token_create
from portal.audit import COMMAND_LINE

pytestmark = pytest.mark.django_db

REGISTER = "/playground/register/"


def form(**changes) -> dict:
    return {
        "client_name": "Playground client",
        "redirect_uri": "http://127.0.0.1:9/playground/callback/",
        "token_endpoint_auth_method": "client_secret_basic",
        "scope": "unifiedapi",
        "initial_access_token": "",
        **changes,
    }


def test_start_page_offers_rfc7591_beside_register_php(client, demo):
    client.force_login(demo["user"])
    page = client.get(reverse("playground:start")).content.decode()
    assert 'id="rfc7591-form"' in page and "Register with RFC 7591" in page and "/oauth/register.php" in page


def test_registers_with_an_initial_access_token_and_shows_the_exchange(client, demo):
    token = initial_access_token_create(
        actor=demo["user"],
        account=demo["user"],
        name="pg",
        expires=timezone.now() + timedelta(days=1),
        max_uses=1,
        origin=COMMAND_LINE,
    )[1]
    client.force_login(demo["user"])
    response = client.post(REGISTER, form(initial_access_token=token))
    assert response.status_code == 200
    exchange = response.context["exchange"]
    assert exchange.status == 201 and exchange.endpoint == "oauth:register_client_create"
    assert exchange.request_text.startswith("POST /oauth/register HTTP/1.1")
    assert "Content-Type: application/json" in exchange.request_text
    assert '"token_endpoint_auth_method": "client_secret_basic"' in exchange.request_text
    assert "--data-raw" in exchange.curl
    app = App.objects.get(client_id=exchange.body["client_id"])
    assert app.owner == demo["user"] and response.context["app"] == app
    assert AuditEvent.objects.get(app=app).source == "registration"
    assert "no-store" in response["Cache-Control"]


def test_without_a_token_and_open_registration_off_shows_the_401(client, demo):
    client.force_login(demo["user"])
    response = client.post(REGISTER, form(token_endpoint_auth_method="none"))
    assert response.context["exchange"].status == 401
    assert not App.objects.exists()


def test_open_registered_public_client_then_token_without_secret(client, demo, settings):
    settings.OAUTH_OPEN_REGISTRATION_ACCOUNT = "user"
    client.force_login(demo["user"])
    response = client.post(REGISTER, form(token_endpoint_auth_method="none"))
    exchange = response.context["exchange"]
    assert exchange.status == 201 and "client_secret" not in exchange.body
    app = App.objects.get(client_id=exchange.body["client_id"])
    # Its playground page starts authorize.php with PKCE; the token step then needs no secret.
    start = client.post(reverse("playground:authorize", args=[app.pk]), {"pkce": "on"})
    authorize = client.get(start["Location"])
    allowed = client.post("/oauth/authorize.php", {"request": authorize.context["blob"], "action": "allow"})
    callback = client.get(allowed["Location"])
    assert callback.context["needs_secret"] is False
    carry = callback.context["carry"]
    token = client.post("/playground/step/", {"step": "token", **carry})
    assert token.context["exchange"].status == 200, token.context["exchange"].response_text
    assert "client_secret" not in token.context["exchange"].request_text


def test_bad_form_sends_nothing(client, demo):
    client.force_login(demo["user"])
    response = client.post(REGISTER, form(client_name="", scope="other"))
    assert response.status_code == 400 and "exchange" not in response.context
    assert not App.objects.exists()
