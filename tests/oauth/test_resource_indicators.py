"""RFC 8707 resource indicators at authorize.php and token.php, the audience a token then
carries (refused at another resource, named by introspection), RFC 9728's challenge on a 401
from /uapi/@me, and RFC 9207's `iss` from the configured issuer (design §6)."""

import re

import pytest
from oauth2_provider.models import Grant

from apps_registry.models import AccessToken, RefreshToken
from tests.helpers import TOKEN_URL, basic, get_code, query

pytestmark = pytest.mark.django_db

ISSUER = "https://portal.example.com"
UAPI = f"{ISSUER}/uapi"
UNIFIEDAPI = f"{ISSUER}/unifiedapi"
SYSTEMAPI = f"{ISSUER}/systemapi"
MCP = "https://mcp.example/mcp"


@pytest.fixture(autouse=True)
def issuer(settings):
    settings.OAUTH_ISSUER = ISSUER
    settings.OAUTH_EXTRA_RESOURCES = [f"unifiedapi={MCP}"]
    settings.ALLOWED_HOSTS = ["testserver", "evil.example"]


def token_request(client, app, **data):
    return client.post(TOKEN_URL, data, HTTP_AUTHORIZATION=basic(app.client_id, app.client_secret))


def code_for(client, app, user, resource=None) -> str:
    code = get_code(client, app, user, **({"resource": resource} if resource else {}))
    client.logout()
    return code


def introspect(client, app, token) -> dict:
    response = client.post(
        "/oauth/introspect", {"token": token}, HTTP_AUTHORIZATION=basic(app.client_id, app.client_secret)
    )
    assert response.status_code == 200
    return response.json()


def me(client, token, path="/uapi/@me"):
    return client.get(path, HTTP_AUTHORIZATION=f"Bearer {token}")


# RFC 6750 §3 (RFC 7235 §2.1): `Bearer` then comma-separated auth-params, name=quoted-string.
CHALLENGE = re.compile(r'Bearer ((?:[A-Za-z_]+="[^"\\]*"(?:, )?)+)')


def challenge(response) -> dict[str, str]:
    match = CHALLENGE.fullmatch(response["WWW-Authenticate"])
    assert match, response["WWW-Authenticate"]
    params = re.findall(r'([A-Za-z_]+)="([^"\\]*)"', match.group(1))
    assert len(params) == len({name for name, _ in params})  # each at most once (RFC 6750 §3)
    return dict(params)


# --- RFC 9728 §5.1: the 401 names the resource's metadata ------------------------------


@pytest.mark.parametrize("segment", ["uapi", "unifiedapi"])
def test_a_401_names_the_metadata_of_the_resource_it_came_from(client, segment):
    response = client.get(f"/{segment}/@me")
    assert response.status_code == 401
    # Today's body and attributes stay (VoipNow clients read them).
    assert response.json()["error"]["code"] == "missing_token"
    url = f"{ISSUER}/.well-known/oauth-protected-resource/{segment}"
    assert challenge(response) == {"realm": "unifiedapi", "resource_metadata": url}
    # The metadata it names is served, and names the resource the client called (§3.3).
    metadata = client.get(url.removeprefix(ISSUER)).json()
    assert metadata["resource"] == f"{ISSUER}/{segment}"
    assert metadata["authorization_servers"] == [ISSUER]


def test_an_invalid_token_keeps_its_error_attribute_beside_the_metadata(client):
    response = me(client, "nope", "/unifiedapi/@me")
    assert response.json()["error"]["code"] == "invalid_token"
    assert challenge(response) == {
        "realm": "unifiedapi",
        "error": "invalid_token",
        "resource_metadata": f"{ISSUER}/.well-known/oauth-protected-resource/unifiedapi",
    }


def test_without_an_issuer_the_401_is_as_before(client, settings):
    settings.OAUTH_ISSUER = ""
    assert challenge(me(client, "nope")) == {"realm": "unifiedapi", "error": "invalid_token"}


def test_the_host_header_never_reaches_the_challenge(client):
    response = client.get("/uapi/@me", HTTP_HOST="evil.example")
    assert challenge(response)["resource_metadata"].startswith(f"{ISSUER}/")


# --- RFC 9207: iss is the configured issuer ------------------------------------------------


def test_the_authorization_response_iss_is_the_issuer_whatever_the_host(client, web_app, demo):
    client.force_login(demo["user"])
    params = {"response_type": "code", "client_id": web_app.client_id, "redirect_uri": web_app.redirect_uri}
    page = client.get("/oauth/authorize.php", params, HTTP_HOST="evil.example")
    response = client.post(
        "/oauth/authorize.php", {"request": page.context["blob"], "action": "allow"}, HTTP_HOST="evil.example"
    )
    assert query(response["Location"])["iss"] == [ISSUER]


def test_an_error_response_carries_iss_too(client, web_app, demo):
    client.force_login(demo["user"])
    params = {"response_type": "code", "client_id": web_app.client_id, "redirect_uri": web_app.redirect_uri}
    page = client.get("/oauth/authorize.php", params)
    response = client.post("/oauth/authorize.php", {"request": page.context["blob"], "action": "deny"})
    got = query(response["Location"])
    assert got["error"] == ["access_denied"] and got["iss"] == [ISSUER]


# --- authorize.php and token.php -----------------------------------------------------------


@pytest.mark.parametrize("resource", [UAPI, UNIFIEDAPI, MCP])
def test_a_code_asked_for_a_resource_gives_a_token_bound_to_it(client, web_app, demo, resource):
    code = code_for(client, web_app, demo["user"], resource)
    assert Grant.objects.get().resource == [resource]
    response = token_request(client, web_app, grant_type="authorization_code", code=code)
    assert response.status_code == 200, response.content
    body = response.json()
    assert AccessToken.objects.get().resource == [resource]
    assert RefreshToken.objects.get().resource == [resource]
    assert introspect(client, web_app, body["access_token"])["aud"] == [resource]
    assert introspect(client, web_app, body["refresh_token"])["aud"] == [resource]


def test_a_token_for_either_unifiedapi_identifier_works_at_both_paths(client, web_app, demo):
    code = code_for(client, web_app, demo["user"], UNIFIEDAPI)
    token = token_request(client, web_app, grant_type="authorization_code", code=code).json()["access_token"]
    assert me(client, token).status_code == 200
    assert me(client, token, "/unifiedapi/@me").status_code == 200


def test_a_token_for_another_resource_is_refused_at_uapi(client, web_app, demo, django_assert_num_queries):
    """An MCP server's token is for the MCP server: it must not be passed on to UnifiedAPI."""
    code = code_for(client, web_app, demo["user"], MCP)
    token = token_request(client, web_app, grant_type="authorization_code", code=code).json()["access_token"]
    with django_assert_num_queries(1):
        response = me(client, token)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_token"
    assert challenge(response)["error"] == "invalid_token"
    assert "resource_metadata" in challenge(response)


def test_a_token_without_resource_stays_unrestricted(client, web_app, demo):
    code = code_for(client, web_app, demo["user"])
    token = token_request(client, web_app, grant_type="authorization_code", code=code).json()["access_token"]
    assert AccessToken.objects.get().resource == []
    assert "aud" not in introspect(client, web_app, token)
    assert me(client, token).status_code == 200


@pytest.mark.parametrize(
    ("resources", "says"),
    [
        (["not a url"], "absolute URI"),
        (["/uapi"], "absolute URI"),
        ([f"{UAPI}#frag"], "absolute URI"),
        (["https://someone@portal.example.com/uapi"], "absolute URI"),
        (["https://evil.example/uapi"], "not one this App's API serves"),
        ([SYSTEMAPI], "not one this App's API serves"),  # a UnifiedAPI App
        ([f"{ISSUER}/uapi/"], "not one this App's API serves"),  # exact identifiers only
        ([UAPI, UNIFIEDAPI], "one resource per request"),
    ],
)
def test_a_bad_resource_at_authorize_is_invalid_target_at_the_redirect_url(
    client, web_app, demo, resources, says
):
    client.force_login(demo["user"])
    params = {
        "response_type": "code",
        "client_id": web_app.client_id,
        "redirect_uri": web_app.redirect_uri,
        "state": "s1",
        "resource": resources,
    }
    response = client.get("/oauth/authorize.php", params)
    assert response.status_code == 302
    assert response["Location"].startswith(web_app.redirect_uri + "?")
    got = query(response["Location"])
    assert got["error"] == ["invalid_target"] and got["state"] == ["s1"] and got["iss"] == [ISSUER]
    assert says in got["error_description"][0]
    assert not Grant.objects.exists()


def test_a_systemapi_app_asks_for_systemapi(client, systemapi_app, demo):
    systemapi_app.redirect_uri = "https://app.example/callback"
    systemapi_app.save()
    code = code_for(client, systemapi_app, demo["user"], SYSTEMAPI)
    response = token_request(client, systemapi_app, grant_type="authorization_code", code=code)
    assert response.status_code == 200
    assert introspect(client, systemapi_app, response.json()["access_token"])["aud"] == [SYSTEMAPI]


def test_the_token_request_may_repeat_the_grants_resource(client, web_app, demo):
    code = code_for(client, web_app, demo["user"], UAPI)
    response = token_request(client, web_app, grant_type="authorization_code", code=code, resource=UAPI)
    assert response.status_code == 200
    assert AccessToken.objects.get().resource == [UAPI]


@pytest.mark.parametrize("resource", [SYSTEMAPI, UNIFIEDAPI, MCP, "https://evil.example/"])
def test_the_token_request_cannot_widen_the_grant(client, web_app, demo, resource):
    code = code_for(client, web_app, demo["user"], UAPI)
    response = token_request(client, web_app, grant_type="authorization_code", code=code, resource=resource)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_target"
    assert response.json()["error_description"]
    assert not AccessToken.objects.exists()
    # Nothing was spent: the code still works for what it was granted.
    retry = token_request(client, web_app, grant_type="authorization_code", code=code)
    assert retry.status_code == 200


def test_a_code_without_resource_may_be_narrowed_at_the_token_endpoint(client, web_app, demo):
    code = code_for(client, web_app, demo["user"])
    response = token_request(client, web_app, grant_type="authorization_code", code=code, resource=MCP)
    assert response.status_code == 200
    assert AccessToken.objects.get().resource == [MCP]


def test_refresh_keeps_the_resource_and_refuses_another(client, web_app, demo):
    code = code_for(client, web_app, demo["user"], MCP)
    refresh = token_request(client, web_app, grant_type="authorization_code", code=code).json()[
        "refresh_token"
    ]
    refused = token_request(client, web_app, grant_type="refresh_token", refresh_token=refresh, resource=UAPI)
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_target"
    response = token_request(client, web_app, grant_type="refresh_token", refresh_token=refresh)
    assert response.status_code == 200, response.content
    assert introspect(client, web_app, response.json()["access_token"])["aud"] == [MCP]


def test_client_credentials_with_resource(client, trusted_app, systemapi_app):
    response = token_request(client, trusted_app, grant_type="client_credentials", resource=UAPI)
    assert response.status_code == 200
    assert me(client, response.json()["access_token"]).status_code == 200
    refused = token_request(client, trusted_app, grant_type="client_credentials", resource=SYSTEMAPI)
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_target"
    refused = token_request(client, systemapi_app, grant_type="client_credentials", resource=MCP)
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_target"


def test_a_systemapi_token_is_refused_at_uapi_as_a_token_for_another_resource(client, systemapi_app):
    token = token_request(client, systemapi_app, grant_type="client_credentials", resource=SYSTEMAPI)
    response = me(client, token.json()["access_token"])
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_token"
    assert challenge(response)["resource_metadata"] == f"{ISSUER}/.well-known/oauth-protected-resource/uapi"


@pytest.mark.parametrize(
    "resources",
    [["not a url"], [f"{UAPI}#x"], ["https://evil.example/uapi"], [UAPI, UNIFIEDAPI]],
)
def test_a_bad_resource_at_the_token_endpoint_is_invalid_target(client, trusted_app, resources):
    response = token_request(client, trusted_app, grant_type="client_credentials", resource=resources)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_target"
    assert not AccessToken.objects.exists()


def test_without_an_issuer_only_the_configured_extra_resources_are_known(client, trusted_app, settings):
    settings.OAUTH_ISSUER = ""
    refused = token_request(client, trusted_app, grant_type="client_credentials", resource=UAPI)
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_target"
    assert (
        token_request(client, trusted_app, grant_type="client_credentials", resource=MCP).status_code == 200
    )
