"""Today's VoipNow clients, each sending its request from its own runtime and HTTP stack
(design §6, compatibility): PHP 8 with curl (4PSA's Apps, the Laravel packages), Node's https
(mcp-voipnow's TypeScript servers), Python requests (mcp-voipnow's provisioning server) and
Perl LWP, over HTTPS to the portal served by gunicorn. The client scripts are in clients/.

Every App here has a key and a secret that each contain `~`, `.`, `-` and `_`, drawn from the
real generator until they do: `~` is the one PHP's urlencode() escapes (as %7E)."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from apps_registry.crypto import generate_credential
from apps_registry.models import AccessToken, Api
from tests.factories import AppFactory

pytestmark = [pytest.mark.compat, pytest.mark.django_db(transaction=True)]

EVERY_SIGN = set("~.-_")


def credential_with_every_sign() -> str:
    """A key or secret from the real generator that has each of ~ . - _ in it."""
    value = generate_credential()
    while not EVERY_SIGN.issubset(value):
        value = generate_credential()
    return value


@pytest.fixture
def app(demo):
    """A trusted UnifiedAPI App of the demo Organization, as the VoipNow clients need one."""
    return AppFactory(
        owner=demo["organization"],
        api=Api.UNIFIEDAPI,
        trusted=True,
        name="VoipNow client",
        client_id=credential_with_every_sign(),
        client_secret=credential_with_every_sign(),
    )


def assert_token(answer: dict) -> str:
    """What every one of these clients reads from a token answer; returns the access token."""
    assert answer["status"] == 200, answer
    assert answer["content_type"].startswith("application/json"), answer
    body = answer["json"]
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    return body["access_token"]


def assert_me(answer: dict, app) -> None:
    assert answer["status"] == 200, answer
    assert answer["json"]["username"] == "organization"
    assert answer["json"]["app"]["client_id"] == app.client_id


def requested(portal, since: int) -> list[str]:
    """The request lines of gunicorn's access log from line `since` on."""
    time.sleep(0.2)  # the access log line is written as the response ends
    return [line.split('"')[1] for line in portal.log[since:] if line.count('"') >= 2]


# --- PHP 8 with curl -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mode", "content_type"),
    [
        # click2fax plib/util.php, click2conf interface/request.php, facebookcallme plib/lib.php
        ("array", "multipart/form-data"),
        # rapideinternet/laravel-voipnow, the Laravel packages
        ("http_build_query", "application/x-www-form-urlencoded"),
        # the Apps' urlencode() kept under a form body: "~" arrives as %257E
        ("http_build_query_urlencoded", "application/x-www-form-urlencoded"),
    ],
)
def test_php_curl_app_gets_a_token_and_calls_unifiedapi(php, run_client, app, mode, content_type):
    result = run_client(php, "voipnow_app.php", mode, key=app.client_id, secret=app.client_secret)

    token = result["token"]
    assert f"Content-Type: {content_type}" in token["request_headers"], token["request_headers"]
    if mode != "http_build_query":
        assert "%7E" in token["sent_client_id"]  # urlencode() escaped the key's "~"
    access_token = assert_token(token)
    assert result["authorization"] == f"Bearer {access_token}"
    assert_me(result["me"], app)


def test_php_curl_app_with_a_wrong_secret_gets_invalid_client(php, run_client, app):
    wrong = credential_with_every_sign()

    result = run_client(php, "voipnow_app.php", "array", key=app.client_id, secret=wrong)

    assert result["token"]["status"] == 401
    assert result["token"]["json"] == {"error": "invalid_client"}
    assert result["authorization"] is False  # generateToken() returns FALSE
    assert result["me"] is None


def test_php_demo_app_that_retries_on_403_keeps_its_expired_token(php, run_client, app):
    """The 4PSA demo Apps keep the token in the PHP session and get a new one only when a call
    answers 403. An hour later /uapi/@me answers 401 expired_token (design §6): no retry, the
    App shows the error (README, compatibility)."""
    first = run_client(php, "voipnow_app.php", "array", key=app.client_id, secret=app.client_secret)
    assert_token(first["token"])
    AccessToken.objects.filter(application=app).update(expires=timezone.now() - timedelta(seconds=1))

    result = run_client(
        php,
        "voipnow_app.php",
        "retry_on_403",
        key=app.client_id,
        secret=app.client_secret,
        CACHED_AUTHORIZATION=first["authorization"],
        ME_PATH="/uapi/@me",
    )

    assert result["first"]["status"] == 401
    assert result["first"]["json"]["error"]["code"] == "expired_token"
    assert result["retried"] is False
    assert AccessToken.objects.filter(application=app).count() == 1  # no new token was asked for


# --- Node's https.request ----------------------------------------------------------------------


def test_mcp_voipnow_node_client_gets_a_token_and_calls_uapi(node, portal, run_client, app):
    since = len(portal.log)

    result = run_client(node, "mcp_voipnow.js", key=app.client_id, secret=app.client_secret)

    assert "%7E" in result["sent"]  # URLSearchParams escapes "~" in the form body
    assert (
        f"redirect_uri={portal.url.replace(':', '%3A').replace('/', '%2F')}%2Fouath%2Ftoken.php"
        in (result["sent"])
    )
    assert_token(result["token"])
    assert result["lifetime_ms"] == 3_600_000  # expires_in, in integer seconds
    assert result["token_shape_ok"] is True
    assert_me(result["me"], app)
    # /ouath/token.php is only the redirect_uri value sent with client_credentials (ignored,
    # design §6): the client never requests it.
    assert requested(portal, since) == ["POST /oauth/token.php HTTP/1.1", "GET /uapi/@me HTTP/1.1"]


# --- Python requests -------------------------------------------------------------------------


def test_mcp_voipnow_provisioning_python_client_gets_a_token_and_calls_uapi(python, run_client, app):
    result = run_client(python, "provisioning.py", key=app.client_id, secret=app.client_secret)

    assert "raised" not in result, result
    assert_token(result["token"])
    assert_me(result["me"], app)


# --- Perl LWP --------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["body", "basic"])
def test_perl_lwp_client_gets_a_token_and_calls_unifiedapi(perl, run_client, app, mode):
    result = run_client(perl, "lwp_client.pl", mode, key=app.client_id, secret=app.client_secret)

    assert result["request_content_type"] == "application/x-www-form-urlencoded"
    assert_token(result["token"])
    assert_me(result["me"], app)
