"""CORS for browser-based clients (issue 25; oauth/endpoints.py declares which endpoints, and
django-cors-headers answers): discovery, RFC 7591 registration and its RFC 7592 client URL, the
token and revocation endpoints, and "who am I" answer any origin, never with credentials, with
preflights that allow Authorization, Content-Type and MCP-Protocol-Version; "who am I" exposes
WWW-Authenticate. Pages (authorize.php, register.php, the portal) and introspection have none.
A real browser on another origin: tests/browser/test_browser_client.py."""

from __future__ import annotations

import re

import pytest

from oauth.endpoints import CORS_PATHS, ENDPOINTS
from tests.test_endpoints import path_of

pytestmark = pytest.mark.django_db

ORIGIN = "https://inspector.example"
CORS = [path_of(endpoint.route) for endpoint in ENDPOINTS if endpoint.cors]
NOT_CORS = [path_of(endpoint.route) for endpoint in ENDPOINTS if not endpoint.cors] + [
    "/accounts/login/",
    "/admin/login/",
    "/playground/",
]


def preflight(client, path, method="POST"):
    return client.options(
        path,
        HTTP_ORIGIN=ORIGIN,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD=method,
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization, content-type, mcp-protocol-version",
        secure=True,
    )


def test_the_declared_paths_are_the_ones_cors_covers():
    assert CORS == [
        "/uapi/@me",
        "/unifiedapi/@me",
        "/oauth/token.php",
        "/oauth/revoke",
        "/oauth/revoke.php",
        "/oauth/register",
        "/oauth/register/abc",
        "/.well-known/oauth-authorization-server",
        "/.well-known/oauth-protected-resource/uapi",
    ]
    assert all(re.match(CORS_PATHS, path) for path in CORS)
    assert not any(re.match(CORS_PATHS, path) for path in NOT_CORS)
    assert not re.match(CORS_PATHS, "/oauth/register/abc/more")
    assert not re.match(CORS_PATHS, "/oauth/token.phpx")


@pytest.mark.parametrize("path", CORS)
def test_a_preflight_from_any_origin_is_allowed_without_credentials(client, path):
    response = preflight(client, path)
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Credentials" not in response
    allowed = {header.strip() for header in response["Access-Control-Allow-Headers"].split(",")}
    assert {"authorization", "content-type", "mcp-protocol-version"} <= allowed
    assert {"GET", "POST", "PUT", "DELETE"} <= set(response["Access-Control-Allow-Methods"].split(", "))
    assert not response.cookies


@pytest.mark.parametrize("path", NOT_CORS)
def test_pages_and_introspection_answer_no_other_origin(client, path):
    response = preflight(client, path)
    assert "Access-Control-Allow-Origin" not in response


def test_the_token_endpoints_answer_is_readable_by_the_page_that_asked(client, web_app):
    response = client.post(
        "/oauth/token.php",
        {
            "grant_type": "authorization_code",
            "code": "x",
            "client_id": web_app.client_id,
            "client_secret": "no",
        },
        HTTP_ORIGIN=ORIGIN,
        secure=True,
    )
    assert response.status_code == 401
    assert response["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Credentials" not in response
    assert "origin" in response["Vary"].lower()


def test_who_am_i_exposes_its_challenge(client, settings):
    settings.OAUTH_ISSUER = "https://portal.example"
    response = client.get("/uapi/@me", HTTP_ORIGIN=ORIGIN, secure=True)
    assert response.status_code == 401
    assert response["Access-Control-Allow-Origin"] == "*"
    assert response["Access-Control-Expose-Headers"] == "WWW-Authenticate"
    assert "resource_metadata=" in response["WWW-Authenticate"]


def test_a_cookie_sent_cross_origin_signs_nobody_in(client, demo):
    """No credentials: even a browser that sent the portal's session cookie (it does not,
    without Allow-Credentials) would be answered as nobody at a program endpoint."""
    client.force_login(demo["user"])
    response = client.get("/uapi/@me", HTTP_ORIGIN=ORIGIN, secure=True)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "missing_token"


def test_a_plain_http_refusal_is_readable_too(client, settings):
    """The browser-based client reads why it was refused (HTTPS required) instead of a CORS error."""
    settings.OAUTH_ALLOW_LOOPBACK_HTTP = False
    response = client.post("/oauth/token.php", {}, HTTP_ORIGIN=ORIGIN)
    assert response.status_code == 403
    assert response["Access-Control-Allow-Origin"] == "*"
