"""Discovery (design §6): the authorization server's metadata (RFC 8414) and the protected
resources' metadata (RFC 9728), built from the configured issuer and never from the Host."""

from urllib.parse import urlsplit

import pytest
from authlib.oauth2.rfc8414 import AuthorizationServerMetadata
from django.core.checks import run_checks

ISSUER = "https://portal.example.com"
AS_PATH = "/.well-known/oauth-authorization-server"


@pytest.fixture
def issuer(settings):
    settings.OAUTH_ISSUER = ISSUER
    settings.ALLOWED_HOSTS = ["testserver", "portal.example.com", "evil.example"]
    return ISSUER


def metadata(client, **headers) -> dict:
    response = client.get(AS_PATH, **headers)
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/json"
    return response.json()


# --- RFC 8414 §2, member by member --------------------------------------------------------


def test_metadata_names_the_configured_issuer_and_its_endpoints(client, issuer):
    body = metadata(client)
    assert body["issuer"] == ISSUER
    assert body["authorization_endpoint"] == f"{ISSUER}/oauth/authorize.php"
    assert body["token_endpoint"] == f"{ISSUER}/oauth/token.php"
    assert body["revocation_endpoint"] == f"{ISSUER}/oauth/revoke"
    assert body["introspection_endpoint"] == f"{ISSUER}/oauth/introspect"
    assert body["registration_endpoint"] == f"{ISSUER}/oauth/register"


def test_metadata_lists_what_the_portal_supports_and_nothing_more(client, issuer):
    body = metadata(client)
    assert body["response_types_supported"] == ["code"]  # REQUIRED; no implicit
    assert body["grant_types_supported"] == ["authorization_code", "refresh_token", "client_credentials"]
    assert body["code_challenge_methods_supported"] == ["S256"]  # never plain
    assert body["scopes_supported"] == ["systemapi", "unifiedapi"]
    assert body["token_endpoint_auth_methods_supported"] == [
        "client_secret_basic",
        "client_secret_post",
        "none",
    ]
    assert body["revocation_endpoint_auth_methods_supported"] == [
        "client_secret_basic",
        "client_secret_post",
        "none",
    ]
    assert body["introspection_endpoint_auth_methods_supported"] == [
        "client_secret_basic",
        "client_secret_post",
    ]
    assert body["authorization_response_iss_parameter_supported"] is True
    # Not built, so not advertised (the MCP SDK would otherwise use a URL as client_id).
    assert "client_id_metadata_document_supported" not in body
    assert "jwks_uri" not in body  # no signed tokens, no private_key_jwt


def test_every_url_in_the_metadata_is_https_under_the_issuer_without_query_or_fragment(client, issuer):
    for name, value in metadata(client).items():
        if name == "issuer" or name.endswith("_endpoint"):
            parts = urlsplit(value)
            assert parts.scheme == "https" and parts.netloc == "portal.example.com", name
            assert not parts.query and not parts.fragment, name


def test_the_issuer_comes_from_the_setting_whatever_the_host_header(client, issuer):
    body = metadata(client, HTTP_HOST="evil.example", HTTP_X_FORWARDED_HOST="evil.example")
    assert body["issuer"] == ISSUER
    assert all("evil" not in str(value) for value in body.values())


def test_a_trailing_slash_in_the_setting_is_dropped(client, issuer, settings):
    settings.OAUTH_ISSUER = ISSUER + "/"
    assert metadata(client)["issuer"] == ISSUER


def test_metadata_is_readable_from_any_origin_without_a_cookie(client, issuer):
    response = client.get(AS_PATH, HTTP_ORIGIN="https://app.example")
    assert response["Access-Control-Allow-Origin"] == "*"
    assert not response.cookies
    preflight = client.options(
        AS_PATH, HTTP_ORIGIN="https://app.example", HTTP_ACCESS_CONTROL_REQUEST_HEADERS="mcp-protocol-version"
    )
    assert preflight.status_code == 204
    assert preflight["Access-Control-Allow-Origin"] == "*"
    assert "GET" in preflight["Access-Control-Allow-Methods"]


def test_metadata_refuses_writes(client, issuer):
    assert client.post(AS_PATH).status_code == 405


def test_authlib_accepts_the_metadata(client, issuer):
    """Authlib's RFC 8414 parser validates every member it knows (https issuer, no query or
    fragment, response types, the auth methods, PKCE methods...)."""
    document = AuthorizationServerMetadata(metadata(client))
    document.validate()
    assert document.issuer == ISSUER


def test_the_path_inserted_form_is_not_served_because_the_issuer_has_no_path(client, issuer):
    """RFC 8414 §3.1: a path is inserted only for an issuer with a path, and ours has none."""
    assert client.get(f"{AS_PATH}/oauth").status_code == 404


# --- Without a valid issuer: a clear error, never a guess ---------------------------------


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("", "not set"),
        ("portal.example.com", "absolute https"),
        ("ftp://portal.example.com", "absolute https"),
        ("https://portal.example.com?x=1", "no query or fragment"),
        ("https://portal.example.com#top", "no query or fragment"),
        ("https://portal.example.com/portal", "no path"),
        ("https://user@portal.example.com", "user info"),
        ("https://portal.example.com:port", "not a URL"),
        ("http://portal.example.com", "must be https"),
    ],
)
def test_without_a_valid_issuer_the_documents_answer_503_saying_why(client, settings, value, problem):
    settings.OAUTH_ISSUER = value
    for path in (AS_PATH, "/.well-known/oauth-protected-resource/uapi"):
        response = client.get(path)
        assert response.status_code == 503
        assert response.json()["error"] == "temporarily_unavailable"
        assert problem in response.json()["error_description"]
        assert "OAUTH_ISSUER" in response.json()["error_description"]


def test_plain_http_issuer_is_for_loopback_in_development_only(client, settings):
    settings.OAUTH_ISSUER = "http://127.0.0.1:8000"
    settings.OAUTH_ALLOW_LOOPBACK_HTTP = True
    assert metadata(client)["token_endpoint"] == "http://127.0.0.1:8000/oauth/token.php"
    settings.OAUTH_ALLOW_LOOPBACK_HTTP = False
    assert client.get(AS_PATH).status_code == 503


def test_check_deploy_warns_without_a_valid_issuer(settings):
    settings.OAUTH_ISSUER = ""
    assert "portal.W010" in [message.id for message in run_checks(include_deployment_checks=True)]
    settings.OAUTH_ISSUER = "http://portal.example.com"
    assert "portal.W010" in [message.id for message in run_checks(include_deployment_checks=True)]
    settings.OAUTH_ISSUER = ISSUER
    assert "portal.W010" not in [message.id for message in run_checks(include_deployment_checks=True)]


# --- RFC 9728 §2 and §3.3 -------------------------------------------------------------


@pytest.mark.parametrize(
    ("segment", "scope", "name"),
    [
        ("uapi", "unifiedapi", "UnifiedAPI"),
        ("unifiedapi", "unifiedapi", "UnifiedAPI"),
        ("systemapi", "systemapi", "SystemAPI"),
    ],
)
def test_each_resource_answers_its_own_identifier(client, issuer, segment, scope, name):
    response = client.get(
        f"/.well-known/oauth-protected-resource/{segment}",
        HTTP_HOST="evil.example",
        HTTP_ORIGIN="https://a.example",
    )
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == "*"
    # §3.3: `resource` is the identifier the metadata URL was derived from (§3.1: the
    # well-known segment inserted between the host and the path).
    assert response.json() == {
        "resource": f"{ISSUER}/{segment}",
        "authorization_servers": [ISSUER],
        "scopes_supported": [scope],
        "bearer_methods_supported": ["header"],
        "resource_name": name,
    }


def test_an_unknown_resource_is_a_json_404(client, issuer):
    response = client.get("/.well-known/oauth-protected-resource/soap")
    assert response.status_code == 404
    assert "uapi" in response.json()["error_description"]


@pytest.mark.parametrize(
    "item",
    [
        "https://mcp.example/mcp",
        "soap=https://mcp.example/mcp",
        "unifiedapi=mcp.example",
        "unifiedapi=https://x/#f",
    ],
)
def test_a_malformed_extra_resource_is_a_check_error(settings, item):
    settings.OAUTH_EXTRA_RESOURCES = [item]
    assert "oauth.E001" in [message.id for message in run_checks()]
    settings.OAUTH_EXTRA_RESOURCES = ["unifiedapi=https://mcp.example/mcp"]
    assert "oauth.E001" not in [message.id for message in run_checks()]
