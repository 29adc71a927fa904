"""/oauth/token.php (design §6): the request shapes existing clients send, and every error:
client_credentials, with the credentials in the body or in Basic. Every test runs twice: on
the portal's own client_credentials path (oauth.views.client_credentials) and on
django-oauth-toolkit's, which it must answer exactly as."""

import importlib

import pytest
from django.test.client import encode_multipart

from apps_registry.models import AccessToken
from apps_registry.services import COMMAND_LINE, app_set_enabled
from tests.helpers import REDIRECT, TOKEN_URL, basic
from tests.oauth.helpers import TOKEN_SHAPE, client_credentials

pytestmark = pytest.mark.django_db
# The module (oauth.views re-exports its view under the same name).
TOKEN_VIEWS = importlib.import_module("oauth.views.token")


@pytest.fixture(autouse=True, params=["own", "library"])
def token_path(request, monkeypatch):
    """The path client_credentials takes: the portal's own, or django-oauth-toolkit's."""
    if request.param == "library":
        monkeypatch.setattr(TOKEN_VIEWS, "client_credentials", lambda request, sender: None)
    return request.param


def test_client_credentials_with_body_credentials_gives_a_bearer_token_for_an_hour(client, trusted_app):
    response = client_credentials(client, trusted_app)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Cache-Control"] == "no-store"
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600 and isinstance(body["expires_in"], int)
    assert TOKEN_SHAPE.match(body["access_token"])
    assert "refresh_token" not in body


def test_client_credentials_token_acts_as_the_owner_and_records_the_user_agent(client, trusted_app):
    response = client_credentials(client, trusted_app, HTTP_USER_AGENT="VoipNow-PHP/2.1")
    assert response.status_code == 200
    token = AccessToken.objects.get(application=trusted_app)
    assert token.user == trusted_app.owner
    assert token.user_agent == "VoipNow-PHP/2.1"
    assert token.scope == "unifiedapi"


def test_voipnow_client_shape_with_extra_fields_is_accepted(client, trusted_app):
    """type=unifiedapi, redirect_uri and state=0 come along with client_credentials."""
    response = client_credentials(client, trusted_app, type="unifiedapi", redirect_uri=REDIRECT, state="0")
    assert response.status_code == 200
    assert set(response.json()) >= {"access_token", "expires_in"}


def test_multipart_form_data_body_is_accepted(client, trusted_app):
    data = {
        "grant_type": "client_credentials",
        "client_id": trusted_app.client_id,
        "client_secret": trusted_app.client_secret,
        "type": "unifiedapi",
    }
    response = client.post(
        TOKEN_URL,
        encode_multipart("PhpBoundary", data),
        content_type="multipart/form-data; boundary=PhpBoundary",
    )
    assert response.status_code == 200, response.content
    assert response.json()["token_type"] == "Bearer"


def test_http_basic_credentials_work(client, trusted_app):
    response = client.post(
        TOKEN_URL,
        {"grant_type": "client_credentials"},
        HTTP_AUTHORIZATION=basic(trusted_app.client_id, trusted_app.client_secret),
    )
    assert response.status_code == 200


@pytest.mark.parametrize("where", ["body", "basic"])
def test_wrong_secret_is_401_invalid_client_exactly(client, trusted_app, where):
    if where == "body":
        response = client_credentials(client, trusted_app, client_secret="x" * 32)
    else:
        response = client.post(
            TOKEN_URL,
            {"grant_type": "client_credentials"},
            HTTP_AUTHORIZATION=basic(trusted_app.client_id, "x"),
        )
    assert response.status_code == 401
    assert response.json() == {"error": "invalid_client"}
    assert not AccessToken.objects.exists()


def test_wrong_secret_with_state_0_is_still_exactly_invalid_client(client, trusted_app):
    """VoipNow clients send state=0 with client_credentials; oauthlib would echo it."""
    response = client_credentials(client, trusted_app, client_secret="x" * 32, state="0", type="unifiedapi")
    assert response.status_code == 401
    assert response.json() == {"error": "invalid_client"}


def test_other_errors_do_not_echo_state(client, web_app):
    response = client_credentials(client, web_app, state="0")
    assert response.status_code == 400
    assert "state" not in response.json()


def test_basic_auth_failure_challenges_with_basic_and_body_failure_with_none(client, trusted_app):
    basic_failure = client.post(
        TOKEN_URL, {"grant_type": "client_credentials"}, HTTP_AUTHORIZATION=basic(trusted_app.client_id, "x")
    )
    assert basic_failure["WWW-Authenticate"].startswith("Basic ")
    body_failure = client_credentials(client, trusted_app, client_secret="x")
    assert "WWW-Authenticate" not in body_failure


def test_unknown_key_is_401_invalid_client(client, trusted_app):
    response = client.post(
        TOKEN_URL, {"grant_type": "client_credentials", "client_id": "nope", "client_secret": "nope"}
    )
    assert response.status_code == 401
    assert response.json() == {"error": "invalid_client"}


def test_untrusted_app_gets_unauthorized_client_for_client_credentials(client, web_app):
    response = client_credentials(client, web_app)
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "unauthorized_client"
    assert body["error_description"]
    assert not AccessToken.objects.exists()


@pytest.mark.parametrize(
    ("data", "error"),
    [
        (
            {"grant_type": "password", "username": "organization", "password": "demo"},
            "unsupported_grant_type",
        ),
        (
            {"grant_type": "urn:ietf:params:oauth:grant-type:device_code", "device_code": "x"},
            "unsupported_grant_type",
        ),
        ({"grant_type": "implicit"}, "unsupported_grant_type"),
        ({"grant_type": "urn:example:nothing"}, "unsupported_grant_type"),
        (
            {"grant_type": "authorization_code", "code": "not-a-code", "redirect_uri": REDIRECT},
            "invalid_grant",
        ),
        ({"grant_type": "refresh_token", "refresh_token": "not-a-token"}, "invalid_grant"),
        ({}, "invalid_request"),
    ],
)
def test_other_failures_follow_rfc6749_with_a_description(client, trusted_app, data, error):
    credentials = {"client_id": trusted_app.client_id, "client_secret": trusted_app.client_secret}
    response = client.post(TOKEN_URL, {**credentials, **data})
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["error"] == error
    assert body["error_description"]
    assert not AccessToken.objects.exists()


def test_disabled_app_gets_no_token_and_enabled_again_does(client, trusted_app):
    app_set_enabled(actor=trusted_app.owner, app=trusted_app, enabled=False, origin=COMMAND_LINE)
    assert client_credentials(client, trusted_app).status_code == 401
    app_set_enabled(actor=trusted_app.owner, app=trusted_app, enabled=True, origin=COMMAND_LINE)
    assert client_credentials(client, trusted_app).status_code == 200


def test_get_is_not_allowed(client, trusted_app):
    assert client.get(TOKEN_URL).status_code == 405


@pytest.mark.parametrize("where", ["body", "basic", "both"])
def test_both_paths_answer_the_same(client, trusted_app, monkeypatch, where):
    """The same request, on each path: the same status, headers and JSON (the token aside)."""
    own = TOKEN_VIEWS.client_credentials

    def send():
        data = {"grant_type": "client_credentials", "type": "unifiedapi", "state": "0"}
        headers = {}
        if where in ("body", "both"):
            data |= {"client_id": trusted_app.client_id, "client_secret": trusted_app.client_secret}
        if where in ("basic", "both"):
            headers["HTTP_AUTHORIZATION"] = basic(trusted_app.client_id, trusted_app.client_secret)
        return client.post(TOKEN_URL, data, HTTP_USER_AGENT="VoipNow-PHP/2.1", **headers)

    answers = []
    for path in (own, lambda request, sender: None):
        monkeypatch.setattr(TOKEN_VIEWS, "client_credentials", path)
        response = send()
        body = response.json()
        body["access_token"] = TOKEN_SHAPE.match(body["access_token"]) is not None
        answers.append((response.status_code, sorted(response.headers.items()), body))
    assert answers[0] == answers[1]
    assert answers[0][0] == 200
    first, second = AccessToken.objects.order_by("pk")
    for name in ("user_id", "scope", "application_id", "resource", "user_agent", "secret_id"):
        assert getattr(first, name) == getattr(second, name), name
    assert abs((first.expires - second.expires).total_seconds()) < 5
