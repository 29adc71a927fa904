"""What the fuzzer found, each pinned by a plain test: bodies and query strings that are not
UTF-8, a stray %, a NUL where PostgreSQL refuses one, a malformed PKCE challenge."""

import base64
from urllib.parse import urlencode

import pytest

from apps_registry.models import AccessToken
from tests.factories import AppFactory
from tests.security.fuzz.helpers import AUTHORIZE, REGISTERED, TOKEN, assert_redirects_only_to

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", [TOKEN, "/oauth/revoke", "/oauth/introspect"])
@pytest.mark.parametrize(
    "content_type",
    ["application/x-www-form-urlencoded; charset=latin-1", "multipart/form-data; boundary="],
)
def test_an_unparsable_body_gets_the_endpoints_json_error_not_an_html_page(client, app, path, content_type):
    """Found by the fuzzer: Django refuses a form body that is not UTF-8 with its HTML 400."""
    body = f"grant_type=client_credentials&client_id={app.client_id}&token=\xe9".encode("latin-1")
    response = client.generic("POST", path, body, content_type)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"
    assert "no-store" in response["Cache-Control"]


@pytest.mark.parametrize("path", [AUTHORIZE, TOKEN, "/oauth/revoke", "/oauth/introspect"])
@pytest.mark.parametrize("query", ["response_type=%\x00", "client_id=%zz", "state=\xff\xfe", "a=%"])
def test_a_malformed_query_string_is_an_error_not_a_500(client, app, path, query):
    """Found by the fuzzer: oauthlib raised ValueError on a stray "%" or non-UTF-8 bytes."""
    method = "GET" if path == AUTHORIZE else "POST"
    response = client.generic(method, path, b"", "application/x-www-form-urlencoded", QUERY_STRING=query)
    assert 400 <= response.status_code < 500
    assert "Location" not in response


@pytest.mark.parametrize("challenge", ["a\x00" * 22, "x" * 129, "x" * 42, "é" * 43, "a b" * 15])
def test_a_malformed_pkce_challenge_is_refused_before_the_consent_page(client, demo, app, challenge):
    """Found by the fuzzer: a NUL or over-long code_challenge reached the grant's INSERT
    (PostgreSQL refused it: a 500 after the user allowed). RFC 7636 4.2 says what it is."""
    client.force_login(demo["user"])
    query = {
        "response_type": "code",
        "client_id": app.client_id,
        "redirect_uri": REGISTERED,
        "state": "s",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    response = client.get(f"{AUTHORIZE}?{urlencode(query)}")
    assert response.status_code == 302
    assert_redirects_only_to(response, REGISTERED)
    assert "error=invalid_request" in response["Location"] and "state=s" in response["Location"]


@pytest.mark.parametrize(
    ("path", "data", "status"),
    [
        (TOKEN, {"grant_type": "client_credentials", "client_id": "\x00", "client_secret": "x"}, 401),
        (TOKEN, {"grant_type": "authorization_code", "code": "\x00", "redirect_uri": REGISTERED}, 400),
        (TOKEN, {"grant_type": "refresh_token", "refresh_token": "\x00"}, 400),
        ("/oauth/revoke", {"token": "\x00"}, 200),  # RFC 7009: an unknown token is no error
        ("/oauth/introspect", {"token": "\x00"}, 200),  # {"active": false}
        # A caller's key read with the token in one round trip (read_together): unknown, not a 500.
        ("/oauth/introspect", {"client_id": "key\x00", "client_secret": "x", "token": "t"}, 401),
    ],
)
def test_a_nul_in_a_client_id_code_or_token_is_refused_not_a_500(client, app, path, data, status):
    """Found by the fuzzer on PostgreSQL, which refuses a NUL in a query parameter."""
    if "client_id" not in data:
        data = {**data, "client_id": app.client_id, "client_secret": app.client_secret}
    response = client.post(path, data)
    assert response.status_code == status
    assert not AccessToken.objects.exists()


def test_a_nul_in_the_client_id_on_authorize_php_is_an_error_page(client, demo, app):
    client.force_login(demo["user"])
    response = client.get(
        AUTHORIZE, {"response_type": "code", "client_id": "\x00", "redirect_uri": REGISTERED}
    )
    assert response.status_code == 400
    assert "Location" not in response


def test_a_nul_in_basic_credentials_is_invalid_client(client, app):
    credentials = base64.b64encode(b"\x00:\x00").decode()
    response = client.post(
        TOKEN, {"grant_type": "client_credentials"}, HTTP_AUTHORIZATION=f"Basic {credentials}"
    )
    assert response.status_code == 401
    assert response.json() == {"error": "invalid_client"}


@pytest.mark.parametrize(("page", "query"), [("list", {"q": "App\x00"}), ("audit", {"app": "\x00"})])
def test_a_nul_in_a_portal_search_is_harmless(client, demo, page, query):
    """Found while fuzzing: PostgreSQL refused the changelist search and the audit filter."""
    from django.urls import reverse

    owner = demo["organization"]
    AppFactory(owner=owner, name="App one")
    client.force_login(owner)
    response = client.get(reverse(f"apps_registry:{page}", args=[owner.pk]), query)
    assert response.status_code == 200
