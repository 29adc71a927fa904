"""Open registration of confidential clients (issue 25, design §6.1): the TypeScript MCP SDK's
example client registers with `client_secret_post`, and RFC 7591 §2 defaults a registration
without `token_endpoint_auth_method` to `client_secret_basic`. Both get a secret, under the
limits of every open-registered App: unverified (its consent page says so), never trusted nor
a resource server, PKCE S256 required, no client_credentials."""

from __future__ import annotations

import base64

import pytest
from django.core.exceptions import ValidationError

from apps_registry.models import AccessToken, App, AppSecret, ClientRegistration
from apps_registry.services import app_update
from portal.audit import COMMAND_LINE
from tests.helpers import TOKEN_URL, query, s256
from tests.oauth.test_registration import AUTHORIZE, VERIFIER, authorize_params, public_metadata, register

pytestmark = pytest.mark.django_db

WEB = "https://tool.example/oauth/callback"


@pytest.fixture
def open_registration(settings, demo):
    settings.OAUTH_OPEN_REGISTRATION_ACCOUNT = "organization"
    return demo["organization"]


@pytest.mark.parametrize("method", ["client_secret_basic", "client_secret_post", None])
def test_open_registration_gives_a_confidential_client_its_secret(client, open_registration, method):
    response = register(client, public_metadata(token_endpoint_auth_method=method, redirect_uris=[WEB]))

    assert response.status_code == 201, response.content
    body = response.json()
    app = App.objects.get(client_id=body["client_id"])
    assert not app.is_public and app.unverified and not app.trusted and not app.resource_server
    assert body["client_secret"] == app.client_secret and AppSecret.objects.filter(app=app).count() == 1
    assert body["client_secret_expires_at"] == 0
    assert body["token_endpoint_auth_method"] == (method or "client_secret_basic")
    assert app.registration_source == App.RegistrationSource.DCR
    assert ClientRegistration.objects.get(app=app).open_registration
    assert app.requires_pkce and app.unused_expires is not None


def confidential(client) -> App:
    body = register(client, public_metadata(token_endpoint_auth_method="client_secret_post")).json()
    return App.objects.get(client_id=body["client_id"])


def test_an_open_registered_confidential_client_must_use_pkce(client, open_registration, demo):
    app = confidential(client)
    client.force_login(demo["user"])

    response = client.get(AUTHORIZE, authorize_params(app, code_challenge=None, code_challenge_method=None))

    assert response.status_code == 302
    assert query(response["Location"])["error"] == ["invalid_request"]


@pytest.mark.parametrize("authentication", ["client_secret_post", "client_secret_basic"])
def test_an_open_registered_confidential_client_exchanges_with_its_secret_and_verifier(
    client, open_registration, demo, authentication
):
    app = confidential(client)
    client.force_login(demo["user"])
    page = client.get(AUTHORIZE, authorize_params(app))
    assert "Unverified developer" in page.content.decode()
    code = query(client.post(AUTHORIZE, {"request": page.context["blob"], "action": "allow"})["Location"])
    exchange = {
        "grant_type": "authorization_code",
        "code": code["code"][0],
        "redirect_uri": app.redirect_uri,
        "code_verifier": VERIFIER,
    }
    if authentication == "client_secret_post":
        headers = {}
        exchange |= {"client_id": app.client_id, "client_secret": app.client_secret}
    else:
        pair = base64.b64encode(f"{app.client_id}:{app.client_secret}".encode()).decode()
        headers = {"HTTP_AUTHORIZATION": f"Basic {pair}"}

    response = client.post(TOKEN_URL, exchange, **headers)

    assert response.status_code == 200, response.content
    assert AccessToken.objects.filter(application=app).count() == 1


def test_without_its_verifier_the_secret_alone_gets_nothing(client, open_registration, demo):
    app = confidential(client)
    client.force_login(demo["user"])
    page = client.get(AUTHORIZE, authorize_params(app, code_challenge=s256("x" * 64)))
    code = query(client.post(AUTHORIZE, {"request": page.context["blob"], "action": "allow"})["Location"])
    response = client.post(
        TOKEN_URL,
        {
            "grant_type": "authorization_code",
            "code": code["code"][0],
            "redirect_uri": app.redirect_uri,
            "client_id": app.client_id,
            "client_secret": app.client_secret,
        },
    )
    assert response.status_code == 400 and response.json()["error"] == "invalid_request"
    assert not AccessToken.objects.exists()


def test_an_open_registered_confidential_client_never_gets_client_credentials(client, open_registration):
    app = confidential(client)
    response = client.post(
        TOKEN_URL,
        {"grant_type": "client_credentials", "client_id": app.client_id, "client_secret": app.client_secret},
    )
    assert response.status_code == 400 and response.json()["error"] == "unauthorized_client"


@pytest.mark.parametrize("flag", ["trusted", "resource_server"])
def test_nobody_marks_an_unverified_app_trusted_or_a_resource_server(client, open_registration, demo, flag):
    app = confidential(client)
    with pytest.raises(ValidationError) as refused:
        app_update(actor=demo["admin"], app=app, origin=COMMAND_LINE, **{flag: True})
    assert refused.value.error_dict[flag][0].code == "unverified_client"
    app.refresh_from_db()
    assert not app.trusted and not app.resource_server


def test_a_confidential_client_with_an_initial_access_token_is_not_unverified(client, demo):
    from tests.oauth.test_initial_access_tokens import make_token

    body = register(
        client, public_metadata(token_endpoint_auth_method="client_secret_post"), make_token(demo["user"])
    )
    app = App.objects.get(client_id=body.json()["client_id"])
    assert not app.unverified and not app.requires_pkce
