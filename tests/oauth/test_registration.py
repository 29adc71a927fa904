"""RFC 7591 registration at /oauth/register and RFC 7592 client configuration (design §6.1):
open registration, public clients through the code flow with PKCE, the refusals."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Kind
from apps_registry.models import AccessToken, App, AppSecret, AuditAction, AuditEvent, ClientRegistration
from oauth.housekeeping import purge_expired
from tests.factories import AppFactory
from tests.helpers import TOKEN_URL, query, s256

pytestmark = pytest.mark.django_db

REGISTER = "/oauth/register"
AUTHORIZE = "/oauth/authorize.php"
NATIVE = "http://127.0.0.1:53682/callback"
VERIFIER = "v" * 64


def public_metadata(**changes) -> dict:
    body = {
        "client_name": "Desktop Tool",
        "redirect_uris": [NATIVE],
        "token_endpoint_auth_method": "none",
        "grant_types": ["authorization_code", "refresh_token"],
        "scope": "unifiedapi",
    }
    body.update(changes)
    return {key: value for key, value in body.items() if value is not None}


def register(client, body, token: str | None = None, **extra):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    data = body if isinstance(body, str | bytes) else json.dumps(body)
    return client.post(REGISTER, data=data, content_type="application/json", secure=True, **headers, **extra)


@pytest.fixture
def open_registration(settings, demo):
    settings.OAUTH_OPEN_REGISTRATION_ACCOUNT = "organization"
    return demo["organization"]


# --- Open registration ---------------------------------------------------------------------


def test_open_registration_is_off_by_default(client, demo):
    response = register(client, public_metadata())
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert response.json()["error"] == "invalid_token"
    assert "initial access token is required" in response.json()["error_description"]
    assert not App.objects.exists()


def test_open_registration_registers_a_public_client_to_the_named_account(client, open_registration):
    response = register(client, public_metadata(contacts=["dev@tool.example"], unknown_member={"x": 1}))
    assert response.status_code == 201, response.content
    body = response.json()
    app = App.objects.get(client_id=body["client_id"])
    assert app.owner == open_registration and app.is_public and not app.trusted
    assert not AppSecret.objects.filter(app=app).exists() and "client_secret" not in body
    assert app.email == "dev@tool.example" and app.api == "unifiedapi"
    assert body["token_endpoint_auth_method"] == "none" and body["redirect_uris"] == [NATIVE]
    assert body["client_id_issued_at"] == int(app.created.timestamp())
    assert body["registration_client_uri"].endswith(f"/oauth/register/{app.client_id}")
    assert body["registration_access_token"].startswith("rat_")
    assert "unknown_member" not in body
    assert response["Cache-Control"].startswith("max-age=0") and "no-store" in response["Cache-Control"]
    event = AuditEvent.objects.get(app=app)
    assert event.action == AuditAction.CREATE and event.source == "registration"
    assert event.get_source_display() == "Registration (RFC 7591)"
    registration = ClientRegistration.objects.get(app=app)
    assert registration.open_registration and registration.ip_address == "127.0.0.1"
    assert body["registration_access_token"] not in json.dumps(registration.metadata)
    assert app.unused_expires is not None


def test_open_registration_is_rate_limited_per_address(client, open_registration, settings):
    settings.OAUTH_OPEN_REGISTRATION_PER_ADDRESS = 2
    assert register(client, public_metadata()).status_code == 201
    assert register(client, public_metadata()).status_code == 201
    refused = register(client, public_metadata())
    assert refused.status_code == 429 and refused["Retry-After"]
    assert "per hour from one address" in refused.json()["error_description"]
    # Another address is counted on its own.
    assert register(client, public_metadata(), REMOTE_ADDR="192.0.2.7").status_code == 201
    assert App.objects.count() == 3


def test_removing_an_app_does_not_reset_the_rate_limit(client, open_registration, settings):
    settings.OAUTH_OPEN_REGISTRATION_PER_ADDRESS = 1
    body = register(client, public_metadata()).json()
    deleted = client.delete(
        f"{REGISTER}/{body['client_id']}", HTTP_AUTHORIZATION=f"Bearer {body['registration_access_token']}"
    )
    assert deleted.status_code == 204
    assert register(client, public_metadata()).status_code == 429


def test_open_registration_has_a_total_cap(client, open_registration, settings):
    settings.OAUTH_OPEN_REGISTRATION_CAP = 1
    assert register(client, public_metadata()).status_code == 201
    refused = register(client, public_metadata(), REMOTE_ADDR="192.0.2.8")
    assert refused.status_code == 429 and "full" in refused.json()["error_description"]
    assert App.objects.count() == 1


def test_open_registration_keeps_the_accounts_app_limit(client, open_registration, settings):
    settings.APP_LIMIT_PER_ACCOUNT = 1
    AppFactory(owner=open_registration)
    refused = register(client, public_metadata())
    assert refused.status_code == 400
    assert refused.json()["error"] == "invalid_client_metadata"
    assert "already owns 1 Apps" in refused.json()["error_description"]
    assert not ClientRegistration.objects.exists()


def test_open_registration_to_a_service_provider_refuses_unifiedapi(client, demo, settings):
    settings.OAUTH_OPEN_REGISTRATION_ACCOUNT = str(demo["provider"].pk)
    assert demo["provider"].kind == Kind.SERVICE_PROVIDER
    refused = register(client, public_metadata())
    assert refused.status_code == 400
    assert "Service Provider accounts cannot own UnifiedAPI Apps" in refused.json()["error_description"]
    assert register(client, public_metadata(scope="systemapi")).status_code == 201


def test_an_open_registered_app_never_used_within_a_day_is_removed(client, open_registration):
    unused = register(client, public_metadata()).json()["client_id"]
    used = register(client, public_metadata(client_name="Used")).json()["client_id"]
    code_flow(client, App.objects.get(client_id=used), open_registration)
    assert App.objects.get(client_id=used).unused_expires is None
    assert purge_expired(now=timezone.now() + timedelta(hours=23))["unused_open_registrations"] == 0
    counts = purge_expired(now=timezone.now() + timedelta(days=1, minutes=1))
    assert counts["unused_open_registrations"] == 1
    assert not App.objects.filter(client_id=unused).exists()
    assert App.objects.filter(client_id=used).exists()
    assert AuditEvent.objects.filter(app_client_id=unused, action=AuditAction.REMOVE).exists()


# --- Public clients through the code flow ----------------------------------------------------


def authorize_params(app, **changes) -> dict:
    values = {
        "response_type": "code",
        "client_id": app.client_id,
        "redirect_uri": app.redirect_uri,
        "state": "s1",
        "code_challenge": s256(VERIFIER),
        "code_challenge_method": "S256",
    }
    values.update(changes)
    return {key: value for key, value in values.items() if value is not None}


def code_flow(client, app, user, **changes) -> dict:
    """Consent as `user` and exchange the code with client_id and the PKCE verifier only."""
    client.force_login(user)
    page = client.get(AUTHORIZE, authorize_params(app, **changes))
    assert page.status_code == 200, page.content
    allowed = client.post(AUTHORIZE, {"request": page.context["blob"], "action": "allow"})
    code = query(allowed["Location"])["code"][0]
    client.logout()
    response = client.post(
        TOKEN_URL,
        {
            "grant_type": "authorization_code",
            "code": code,
            "client_id": app.client_id,
            "redirect_uri": changes.get("redirect_uri", app.redirect_uri),
            "code_verifier": VERIFIER,
        },
    )
    assert response.status_code == 200, response.content
    return response.json()


def test_public_client_gets_and_refreshes_tokens_with_pkce_and_no_secret(client, open_registration, demo):
    app = App.objects.get(client_id=register(client, public_metadata()).json()["client_id"])
    tokens = code_flow(client, app, demo["user"])
    assert AccessToken.objects.get(application=app).user == demo["user"]
    refreshed = client.post(
        TOKEN_URL,
        {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"], "client_id": app.client_id},
    )
    assert refreshed.status_code == 200, refreshed.content
    assert refreshed.json()["refresh_token"] != tokens["refresh_token"]  # rotated


def test_public_client_without_pkce_is_refused_at_authorize(client, open_registration, demo):
    app = App.objects.get(client_id=register(client, public_metadata()).json()["client_id"])
    client.force_login(demo["user"])
    response = client.get(AUTHORIZE, authorize_params(app, code_challenge=None, code_challenge_method=None))
    assert response.status_code == 302
    got = query(response["Location"])
    assert got["error"] == ["invalid_request"] and "challenge" in got["error_description"][0].lower()


def test_public_client_plain_pkce_is_refused(client, open_registration, demo):
    app = App.objects.get(client_id=register(client, public_metadata()).json()["client_id"])
    client.force_login(demo["user"])
    plain = authorize_params(app, code_challenge="p" * 43, code_challenge_method="plain")
    response = client.get(AUTHORIZE, plain)
    assert query(response["Location"])["error"] == ["invalid_request"]


def test_public_client_without_verifier_is_refused_at_the_token_endpoint(client, open_registration, demo):
    app = App.objects.get(client_id=register(client, public_metadata()).json()["client_id"])
    client.force_login(demo["user"])
    page = client.get(AUTHORIZE, authorize_params(app))
    code = query(client.post(AUTHORIZE, {"request": page.context["blob"], "action": "allow"})["Location"])
    response = client.post(
        TOKEN_URL,
        {
            "grant_type": "authorization_code",
            "code": code["code"][0],
            "client_id": app.client_id,
            "redirect_uri": app.redirect_uri,
        },
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"
    assert not AccessToken.objects.filter(application=app).exists()


def test_public_client_never_gets_client_credentials(client, open_registration):
    app = App.objects.get(client_id=register(client, public_metadata()).json()["client_id"])
    response = client.post(TOKEN_URL, {"grant_type": "client_credentials", "client_id": app.client_id})
    assert response.status_code == 401
    assert response.json() == {"error": "invalid_client"}


def test_consent_page_warns_of_an_unverified_developer_and_shows_redirect(client, open_registration, demo):
    app = App.objects.get(client_id=register(client, public_metadata()).json()["client_id"])
    client.force_login(demo["user"])
    page = client.get(AUTHORIZE, authorize_params(app))
    html = page.content.decode()
    assert "Unverified developer" in html
    assert f'id="consent-redirect-uri">{NATIVE}<' in html


def test_consent_page_of_an_ordinary_app_has_no_warning(client, demo):
    app = AppFactory(owner=demo["user"])
    client.force_login(demo["user"])
    params = {"response_type": "code", "client_id": app.client_id, "redirect_uri": app.redirect_uri}
    page = client.get(AUTHORIZE, params)
    assert page.status_code == 200 and "Unverified developer" not in page.content.decode()


def test_several_redirect_uris_each_match_exactly(client, open_registration, demo):
    uris = [NATIVE, "https://tool.example/cb", "http://[::1]:8080/cb"]
    app = App.objects.get(client_id=register(client, public_metadata(redirect_uris=uris)).json()["client_id"])
    assert app.all_redirect_uris == uris
    assert app.redirect_uri_allowed("https://tool.example/cb")
    assert not app.redirect_uri_allowed("https://tool.example/cb/")
    assert app.redirect_uri_allowed("http://127.0.0.1:1234/callback")  # RFC 8252 7.3: any port
    assert not app.redirect_uri_allowed("http://localhost:53682/callback")
    code_flow(client, app, demo["user"], redirect_uri="https://tool.example/cb")
