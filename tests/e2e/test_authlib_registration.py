"""RFC 7591 registration end to end with Authlib, against the portal as production serves it:
gunicorn terminating TLS (a throwaway CA), DEBUG off, the real middleware, plain-HTTP loopback
allowance off. Then the code flow with PKCE S256 using the client that registered.

Authlib has no RFC 7591 *client* (its rfc7591 package is the server side: an endpoint and
ClientMetadataClaims), so the registration is what an Authlib user writes: the metadata checked
with Authlib's ClientMetadataClaims (against what the portal supports) before it is sent, sent
by Authlib's OAuth2Session, and the answer checked again with ClientMetadataClaims; the code
flow, the refresh and the token use are Authlib's OAuth2Session throughout.
"""

from __future__ import annotations

import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from authlib.integrations.requests_client import OAuth2Session
from authlib.oauth2.rfc7591 import ClientMetadataClaims
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.core.management import call_command

from apps_registry.models import AccessToken, App
from tests.live_session import TIMEOUT, BrowserSession, consent_form
from tests.served import PROJECT, Gunicorn, loopback_tls, served_portal_env

pytestmark = pytest.mark.django_db(transaction=True)

NATIVE = "http://127.0.0.1:53682/callback"
# What the portal supports (design §6.1), as RFC 8414 metadata would say it.
SUPPORTED = {
    "scopes_supported": ["systemapi", "unifiedapi"],
    "response_types_supported": ["code"],
    "grant_types_supported": ["authorization_code", "refresh_token"],
    "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
}


@pytest.fixture(scope="module")
def portal(django_db_setup, django_db_blocker, tmp_path_factory):
    """gunicorn with TLS and production settings, open registration owned by `organization`."""
    tls = loopback_tls(tmp_path_factory.mktemp("tls"))
    env = served_portal_env(tmp_path_factory.mktemp("static"), OAUTH_OPEN_REGISTRATION_ACCOUNT="organization")
    # The consent page is HTML with static files: collected as the guide does.
    collected = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput"], cwd=PROJECT, env=env, capture_output=True
    )
    assert collected.returncode == 0, collected.stderr
    server = Gunicorn(env, "--certfile", str(tls.certificate), "--keyfile", str(tls.key))
    try:
        yield server.url, tls.ca
    finally:
        server.stop()


@pytest.fixture
def user(demo):
    """The demo `user`, its password hashed with a hasher the production settings know (the
    test settings' fast MD5 hasher is not one of them)."""
    account = demo["user"]
    account.password = PBKDF2PasswordHasher().encode("demo", PBKDF2PasswordHasher().salt())
    account.save(update_fields=["password"])
    return account


def trusting(session, ca: Path) -> None:
    """Verify the portal against the test CA only (an environment's REQUESTS_CA_BUNDLE would
    otherwise take precedence over `verify`)."""
    session.verify = str(ca)
    session.trust_env = False


def checked(metadata: dict) -> dict:
    """Authlib's RFC 7591 claims check, with the portal's supported values."""
    claims = ClientMetadataClaims(metadata, {}, options=ClientMetadataClaims.get_claims_options(SUPPORTED))
    claims.validate()
    return dict(claims)


def register(url: str, ca: Path, metadata: dict, initial_access_token: str | None = None) -> dict:
    # The initial access token is a bearer token: Authlib's session sends it as one.
    bearer = {"access_token": initial_access_token, "token_type": "Bearer"} if initial_access_token else None
    session = OAuth2Session(token=bearer)
    trusting(session, ca)
    response = session.post(
        f"{url}/oauth/register", json=checked(metadata), withhold_token=bearer is None, timeout=TIMEOUT
    )
    assert response.status_code == 201, response.text
    information = response.json()
    checked(
        {key: value for key, value in information.items() if key in ClientMetadataClaims.REGISTERED_CLAIMS}
    )
    return information


def code_flow(url: str, ca: Path, client: OAuth2Session, redirect_uri: str) -> dict:
    """authorize.php with PKCE S256 (signing in as `user` on the consent page), then the code."""
    verifier = "e2e-" + "k" * 60
    authorization_url, state = client.create_authorization_url(
        f"{url}/oauth/authorize.php", code_verifier=verifier, state="st-1"
    )
    browser = BrowserSession()
    trusting(browser, ca)
    page = browser.get(authorization_url, allow_redirects=False, timeout=TIMEOUT)
    form = consent_form(page)
    # Over HTTPS Django's CSRF check wants the Referer a browser sends with the form.
    answer = browser.post(
        form.action,
        data={**form.fields, "username": "user", "password": "demo", "action": "allow"},
        headers={"Referer": page.url},
        allow_redirects=False,
        timeout=TIMEOUT,
    )
    assert answer.status_code == 302, answer.text[:2000]
    location = answer.headers["Location"]
    assert location.startswith(redirect_uri + "?")
    return client.fetch_token(
        f"{url}/oauth/token.php", authorization_response=location, code_verifier=verifier, state=state
    )


def test_open_registration_then_code_flow_with_pkce(portal, user):
    url, ca = portal
    information = register(
        url,
        ca,
        {
            "client_name": "Authlib native",
            "redirect_uris": [NATIVE],
            "token_endpoint_auth_method": "none",
            "grant_types": ["authorization_code", "refresh_token"],
            "response_types": ["code"],
            "scope": "unifiedapi",
            "software_id": "ignored-by-the-portal",
        },
    )
    assert "client_secret" not in information and information["token_endpoint_auth_method"] == "none"
    client = OAuth2Session(
        information["client_id"],
        redirect_uri=NATIVE,
        token_endpoint_auth_method="none",
        code_challenge_method="S256",
    )
    trusting(client, ca)
    token = code_flow(url, ca, client, NATIVE)
    me = client.get(f"{url}/uapi/@me", timeout=TIMEOUT)
    assert me.status_code == 200, me.text
    assert AccessToken.objects.filter(application__client_id=information["client_id"]).get().user == user
    refreshed = client.refresh_token(f"{url}/oauth/token.php", refresh_token=token["refresh_token"])
    assert refreshed["access_token"] != token["access_token"]
    app = App.objects.get(client_id=information["client_id"])
    assert app.is_public and app.unused_expires is None  # used: it no longer expires

    # RFC 7592: read it back with the registration access token, then delete it.
    manager = OAuth2Session(
        token={"access_token": information["registration_access_token"], "token_type": "Bearer"}
    )
    trusting(manager, ca)
    assert manager.get(information["registration_client_uri"], timeout=TIMEOUT).json() == information
    assert manager.delete(information["registration_client_uri"], timeout=TIMEOUT).status_code == 204
    assert not App.objects.filter(client_id=information["client_id"]).exists()


def test_open_registration_refuses_pkce_less_authorization(portal, demo):
    url, ca = portal
    information = register(
        url, ca, {"client_name": "No PKCE", "redirect_uris": [NATIVE], "token_endpoint_auth_method": "none"}
    )
    client = OAuth2Session(information["client_id"], redirect_uri=NATIVE, token_endpoint_auth_method="none")
    authorization_url, _state = client.create_authorization_url(f"{url}/oauth/authorize.php", state="s")
    browser = BrowserSession()
    trusting(browser, ca)
    response = browser.get(authorization_url, allow_redirects=False, timeout=TIMEOUT)
    assert response.status_code == 302
    assert response.headers["Location"].startswith(NATIVE + "?error=invalid_request")


def test_initial_access_token_registers_a_confidential_client(portal, user):
    url, ca = portal
    out = StringIO()
    call_command("create_initial_access_token", "--account", "user", "--name", "authlib", stdout=out)
    redirect_uri = "https://calendar.example/callback"
    information = register(
        url,
        ca,
        {
            "client_name": "Authlib web",
            "redirect_uris": [redirect_uri],
            "client_uri": "https://calendar.example/",
            "contacts": ["dev@calendar.example"],
            "scope": "unifiedapi",
            "token_endpoint_auth_method": "client_secret_basic",
        },
        initial_access_token=out.getvalue().strip(),
    )
    assert len(information["client_secret"]) == 32 and information["client_secret_expires_at"] == 0
    client = OAuth2Session(
        information["client_id"],
        information["client_secret"],
        redirect_uri=redirect_uri,
        token_endpoint_auth_method="client_secret_basic",
        code_challenge_method="S256",
    )
    trusting(client, ca)
    code_flow(url, ca, client, redirect_uri)
    assert client.get(f"{url}/uapi/@me", timeout=TIMEOUT).status_code == 200
    assert App.objects.get(client_id=information["client_id"]).owner == user
