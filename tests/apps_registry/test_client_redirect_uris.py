"""The redirect URLs of Apps that register themselves (issue 25, apps_registry/redirect_uris.py):
http://localhost, 127.0.0.1 and [::1] on any port, https, and for a public client a private-use
scheme in reverse-domain form (RFC 8252 7.1); never javascript:, data:, file:, vbscript:, plain
http to another host, a scheme that is not reverse-domain, or one in upper case. Each refusal
names the accepted forms. Seen through every entry point that reaches the rule: RFC 7591
registration (open, and with an initial access token), RFC 7592's update, and the model. (A
metadata document's redirect URLs: tests/oauth/client_metadata/.) The portal's own rule is
unchanged: tests/apps_registry/test_redirect_uri_loopback.py."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import ValidationError

from apps_registry.models import App, validate_client_redirect_uri
from tests.oauth.test_initial_access_tokens import make_token

pytestmark = pytest.mark.django_db

ACCEPTED_ANY = [
    "https://tool.example/cb",
    "http://localhost:3000/callback",
    "http://localhost/callback",
    "http://127.0.0.1:53682/callback",
    "http://[::1]:8080/cb",
]
ACCEPTED_PUBLIC = ["com.example.app:/oauth2redirect", "com.example.app://callback", "io.mcp-host.desktop:/cb"]
REFUSED = {
    "javascript:alert(1)": "scheme_not_allowed",
    "data:text/html,<script>alert(1)</script>": "scheme_not_allowed",
    "file:///etc/passwd": "scheme_not_allowed",
    "vbscript:msgbox(1)": "scheme_not_allowed",
    "http://evil.example/cb": "http_not_loopback",
    "http://127.0.0.1.evil.example/cb": "http_not_loopback",
    "http://localhost.evil.example/cb": "http_not_loopback",
    "http://10.0.0.1/cb": "http_not_loopback",
    "myapp:/callback": "scheme_not_allowed",
    "HTTP://localhost:3000/callback": "scheme_case",
    "HTTPS://tool.example/cb": "scheme_case",
    "Com.Example.App:/cb": "scheme_case",
    "https://tool.example/cb#fragment": "fragment",
    "http://user:pw@localhost:3000/cb": "userinfo",
    "/relative/callback": "invalid",
}


@pytest.mark.parametrize("uri", ACCEPTED_ANY + ACCEPTED_PUBLIC)
def test_a_public_client_may_use_each_native_form(uri):
    validate_client_redirect_uri(uri, public=True)


@pytest.mark.parametrize("uri", ACCEPTED_ANY)
def test_a_confidential_client_may_use_https_and_loopback(uri):
    validate_client_redirect_uri(uri, public=False)


@pytest.mark.parametrize("uri", ACCEPTED_PUBLIC)
def test_a_confidential_client_may_not_use_a_private_use_scheme(uri):
    with pytest.raises(ValidationError) as refused:
        validate_client_redirect_uri(uri, public=False)
    assert refused.value.code == "private_use_scheme_confidential"
    assert "public clients only" in refused.value.messages[0]


@pytest.mark.parametrize(("uri", "code"), REFUSED.items())
def test_each_refused_form_is_refused_naming_the_accepted_ones(uri, code):
    with pytest.raises(ValidationError) as refused:
        validate_client_redirect_uri(uri, public=True)
    assert refused.value.code == code
    if code not in ("fragment", "userinfo"):
        assert "http://localhost:<port>/" in refused.value.messages[0]
        assert "com.example.app:/callback" in refused.value.messages[0]


# --- Through RFC 7591 registration and RFC 7592's update ---------------------------------------


@pytest.fixture
def open_registration(settings, demo):
    settings.OAUTH_OPEN_REGISTRATION_ACCOUNT = "organization"


def register(client, token=None, **metadata):
    body = {"client_name": "Native", "token_endpoint_auth_method": "none", **metadata}
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    return client.post(
        "/oauth/register", json.dumps(body), content_type="application/json", secure=True, **headers
    )


@pytest.mark.parametrize("with_token", [False, True], ids=["open", "initial access token"])
@pytest.mark.parametrize("uri", ACCEPTED_ANY + ACCEPTED_PUBLIC)
def test_registration_accepts_each_native_form(client, demo, open_registration, uri, with_token):
    token = make_token(demo["user"]) if with_token else None
    response = register(client, token, redirect_uris=[uri])
    assert response.status_code == 201, response.content
    app = App.objects.get(client_id=response.json()["client_id"])
    assert app.redirect_uri == uri and app.client_rule


@pytest.mark.parametrize("with_token", [False, True], ids=["open", "initial access token"])
@pytest.mark.parametrize("uri", list(REFUSED))
def test_registration_refuses_each_refused_form(client, demo, open_registration, uri, with_token):
    token = make_token(demo["user"]) if with_token else None
    response = register(client, token, redirect_uris=["https://tool.example/first", uri])
    assert response.status_code == 400, response.content
    assert response.json()["error"] == "invalid_redirect_uri"
    assert "client_uri" not in response.json()["error_description"]
    assert not App.objects.exists()


def test_a_confidential_client_registering_a_private_use_scheme_is_told_why(client, open_registration):
    response = register(
        client, redirect_uris=["com.example.app:/cb"], token_endpoint_auth_method="client_secret_post"
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_redirect_uri"
    assert "public clients only" in response.json()["error_description"]


def test_a_private_use_redirect_needs_no_client_uri(client, open_registration):
    """RFC 8252 7.1: a desktop App's only redirect URL; no homepage is made up for it."""
    response = register(client, redirect_uris=["com.example.app:/oauth2redirect"])
    assert response.status_code == 201, response.content
    assert App.objects.get().homepage == ""


@pytest.mark.parametrize("uri", ["javascript:alert(1)", "http://evil.example/cb", "HTTP://localhost:1/cb"])
def test_rfc7592_update_refuses_what_registration_refuses(client, open_registration, uri):
    body = register(client, redirect_uris=["http://localhost:3000/cb"]).json()
    response = client.put(
        f"/oauth/register/{body['client_id']}",
        json.dumps(
            {
                "client_id": body["client_id"],
                "client_name": "Native",
                "redirect_uris": [uri],
                "token_endpoint_auth_method": "none",
            }
        ),
        content_type="application/json",
        secure=True,
        HTTP_AUTHORIZATION=f"Bearer {body['registration_access_token']}",
    )
    assert response.status_code == 400 and response.json()["error"] == "invalid_redirect_uri"
    assert App.objects.get().redirect_uri == "http://localhost:3000/cb"


# --- Matching at authorize.php -----------------------------------------------------------------


def test_localhost_matches_on_any_port_for_a_client_that_registered_itself(client, open_registration):
    app = App.objects.get(
        client_id=register(client, redirect_uris=["http://localhost:8090/callback"]).json()["client_id"]
    )
    assert app.redirect_uri_allowed("http://localhost:8090/callback")
    assert app.redirect_uri_allowed("http://localhost:51234/callback")  # RFC 8252 7.3: the port is ignored
    assert not app.redirect_uri_allowed("http://localhost:51234/other")
    assert not app.redirect_uri_allowed("http://127.0.0.1:8090/callback")  # another host
    assert not app.redirect_uri_allowed("https://localhost:8090/callback")  # another scheme


def test_a_portal_app_on_localhost_keeps_its_exact_port(settings, demo):
    from tests.factories import AppFactory

    settings.OAUTH_ALLOW_LOOPBACK_HTTP = True
    app = AppFactory(owner=demo["user"], redirect_uri="http://localhost:8090/callback")
    assert not app.client_rule
    assert app.redirect_uri_allowed("http://localhost:8090/callback")
    assert not app.redirect_uri_allowed("http://localhost:51234/callback")


def test_a_private_use_redirect_receives_its_code(client, open_registration, demo):
    from tests.oauth.test_registration import AUTHORIZE, authorize_params

    app = App.objects.get(
        client_id=register(client, redirect_uris=["com.example.app:/oauth2redirect"]).json()["client_id"]
    )
    client.force_login(demo["user"])
    page = client.get(AUTHORIZE, authorize_params(app))
    assert page.status_code == 200, page.content
    answer = client.post(AUTHORIZE, {"request": page.context["blob"], "action": "allow"})
    assert answer.status_code == 302
    assert answer["Location"].startswith("com.example.app:/oauth2redirect?code=")


@pytest.mark.parametrize("uri", ["http://127.0.0.1:53682/callback", "com.example.app:/oauth2redirect"])
def test_deny_goes_back_to_a_native_redirect_url_too(client, open_registration, demo, uri):
    """The answer to Deny is a redirect to the App like the code's (access_denied), whatever
    scheme its rule allowed: never Django's refusal of a non-web scheme (a 400 page)."""
    from tests.oauth.test_registration import AUTHORIZE, authorize_params

    app = App.objects.get(client_id=register(client, redirect_uris=[uri]).json()["client_id"])
    client.force_login(demo["user"])
    page = client.get(AUTHORIZE, authorize_params(app))
    answer = client.post(AUTHORIZE, {"request": page.context["blob"], "action": "deny"})
    assert answer.status_code == 302
    assert answer["Location"].startswith(f"{uri}?error=access_denied")


# --- What a shipping MCP host sends (issue 27: checked again after issue 25) ---------------------

# Visual Studio Code's registration (src/vs/base/common/oauth.ts, fetchDynamicRegistration): a
# loopback URL without a port, the same with the port it prefers, and two https relays.
VSCODE_REDIRECT_URIS = [
    "https://insiders.vscode.dev/redirect",
    "https://vscode.dev/redirect",
    "http://127.0.0.1/",
    "http://127.0.0.1:33418/",
]


def test_open_registration_accepts_vs_codes_loopback_url_without_a_port(client, open_registration):
    """RFC 8252 7.3: a loopback redirect URL's port is the client's to choose at request time,
    so one registered without a port is the form the RFC describes; refusing it would refuse
    VS Code's whole registration. authorize.php matches it on any port, the path exactly."""
    response = register(
        client,
        redirect_uris=VSCODE_REDIRECT_URIS,
        client_uri="https://code.visualstudio.com",
        grant_types=["authorization_code", "refresh_token"],
        response_types=["code"],
        application_type="native",
    )
    assert response.status_code == 201, response.content
    app = App.objects.get(client_id=response.json()["client_id"])
    assert app.all_redirect_uris == VSCODE_REDIRECT_URIS
    assert app.redirect_uri_allowed("http://127.0.0.1:51234/")
    assert app.redirect_uri_allowed("http://127.0.0.1/")
    assert not app.redirect_uri_allowed("http://127.0.0.1:51234/other")
    assert not app.redirect_uri_allowed("http://localhost:51234/")  # another host name


@pytest.mark.parametrize("uri", ["HTTP://127.0.0.1/", "HTTP://localhost:3000/cb", "Http://[::1]:8080/cb"])
def test_open_registration_still_refuses_an_upper_case_scheme(client, open_registration, uri):
    response = register(client, redirect_uris=[uri])
    assert response.status_code == 400 and response.json()["error"] == "invalid_redirect_uri"
    assert "lower case" in response.json()["error_description"]
    assert not App.objects.exists()
