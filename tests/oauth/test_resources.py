"""/uapi/@me, /oauth/introspect and /oauth/revoke (design §6)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from apps_registry.models import AccessToken, Api, RefreshToken
from apps_registry.services import COMMAND_LINE, app_set_enabled
from tests.factories import AppFactory
from tests.helpers import TOKEN_URL, basic, cc_token, get_code

pytestmark = pytest.mark.django_db


def user_tokens(client, app, user) -> dict:
    code = get_code(client, app, user)
    client.logout()
    response = client.post(
        TOKEN_URL,
        {"grant_type": "authorization_code", "code": code},
        HTTP_AUTHORIZATION=basic(app.client_id, app.client_secret),
    )
    return response.json()


@pytest.mark.parametrize("path", ["/uapi/@me", "/unifiedapi/@me"])
def test_me_answers_the_account_a_user_token_acts_for(client, web_app, demo, path):
    token = user_tokens(client, web_app, demo["user"])["access_token"]
    response = client.get(path, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200
    body = response.json()
    assert body["username"] == "user" and body["kind"] == "user" and body["id"] == demo["user"].pk
    assert body["app"]["client_id"] == web_app.client_id
    assert 3500 < body["expires_in"] <= 3600


def test_me_answers_the_owner_for_a_client_credentials_token(client, trusted_app):
    response = client.get("/uapi/@me", HTTP_AUTHORIZATION=f"Bearer {cc_token(client, trusted_app)}")
    assert response.json()["username"] == "organization"


@pytest.mark.parametrize("prefix", ["", "Bearer ", "bearer "])
def test_me_takes_access_request_token_with_or_without_bearer(client, trusted_app, prefix):
    token = cc_token(client, trusted_app)
    response = client.get("/unifiedapi/@me", {"accessRequestToken": prefix + token})
    assert response.status_code == 200


def assert_api_error(response, code):
    assert response.status_code == 401
    assert response.json()["error"]["code"] == code
    assert response.json()["error"]["message"]
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_me_answers_head(client, trusted_app):
    token = cc_token(client, trusted_app)
    assert client.head("/uapi/@me", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 200


def test_me_without_a_token_is_401(client, db):
    assert_api_error(client.get("/uapi/@me"), "missing_token")


def test_me_refuses_a_token_in_access_token_query(client, trusted_app):
    token = cc_token(client, trusted_app)
    assert_api_error(client.get("/uapi/@me", {"access_token": token}), "invalid_request")


def test_me_refuses_an_unknown_token(client, db):
    assert_api_error(client.get("/uapi/@me", HTTP_AUTHORIZATION="Bearer nope"), "invalid_token")


def test_me_refuses_an_expired_token(client, trusted_app):
    token = cc_token(client, trusted_app)
    AccessToken.objects.update(expires=timezone.now() - timedelta(seconds=1))
    assert_api_error(client.get("/uapi/@me", HTTP_AUTHORIZATION=f"Bearer {token}"), "expired_token")


def test_me_refuses_a_systemapi_apps_token(client, demo):
    app = AppFactory(owner=demo["organization"], api=Api.SYSTEMAPI, trusted=True)
    token = cc_token(client, app)
    assert_api_error(client.get("/uapi/@me", HTTP_AUTHORIZATION=f"Bearer {token}"), "wrong_api")


def test_disabled_apps_tokens_are_refused_and_work_again_once_enabled(client, trusted_app):
    token = cc_token(client, trusted_app)
    app_set_enabled(actor=trusted_app.owner, app=trusted_app, enabled=False, origin=COMMAND_LINE)
    assert_api_error(client.get("/uapi/@me", HTTP_AUTHORIZATION=f"Bearer {token}"), "app_disabled")
    app_set_enabled(actor=trusted_app.owner, app=trusted_app, enabled=True, origin=COMMAND_LINE)
    assert client.get("/uapi/@me", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 200


def test_me_costs_one_query(client, trusted_app, django_assert_num_queries):
    token = cc_token(client, trusted_app)
    with django_assert_num_queries(1):
        assert client.get("/uapi/@me", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 200


# --- introspection ---------------------------------------------------------------------


def introspect(client, caller, token, **fields):
    return client.post(
        "/oauth/introspect",
        {"token": token, **fields},
        HTTP_AUTHORIZATION=basic(caller.client_id, caller.client_secret),
    )


def test_introspection_reports_the_api_and_the_account(client, web_app, demo):
    token = user_tokens(client, web_app, demo["user"])["access_token"]
    body = introspect(client, web_app, token).json()
    assert body["active"] is True
    assert body["api"] == "unifiedapi" and body["scope"] == "unifiedapi"
    assert body["client_id"] == web_app.client_id
    assert body["username"] == "user" and body["account"]["id"] == demo["user"].pk
    assert body["exp"] > timezone.now().timestamp()


@pytest.mark.parametrize("hint", ["refresh_token", None])
def test_introspection_of_a_refresh_token_names_no_token_type(client, web_app, demo, hint):
    """RFC 7662 2.2: token_type is an access token's type (RFC 6749 7.1, "Bearer"); a refresh
    token has none, so the member is left out rather than "refresh_token"."""
    tokens = user_tokens(client, web_app, demo["user"])
    hinted = {"token_type_hint": hint} if hint else {}
    body = introspect(client, web_app, tokens["refresh_token"], **hinted).json()
    assert body["active"] is True and body["client_id"] == web_app.client_id
    assert "token_type" not in body
    access = introspect(client, web_app, tokens["access_token"]).json()
    assert access["token_type"] == "Bearer"


def test_an_untrusted_app_cannot_introspect_another_apps_token(client, web_app, demo):
    other = AppFactory(owner=demo["user"], api=Api.UNIFIEDAPI)
    token = user_tokens(client, web_app, demo["user"])["access_token"]
    assert introspect(client, other, token).json() == {"active": False}


def test_a_trusted_app_that_is_no_resource_server_cannot_introspect_another_apps_token(
    client, web_app, trusted_app, demo
):
    """Trusted is for client_credentials; introspecting other Apps' tokens takes the resource
    server flag (tests/oauth/test_resource_servers.py)."""
    token = user_tokens(client, web_app, demo["user"])["access_token"]
    assert introspect(client, trusted_app, token).json() == {"active": False}


def test_introspection_needs_client_credentials(client, web_app, demo):
    token = user_tokens(client, web_app, demo["user"])["access_token"]
    response = client.post("/oauth/introspect", {"token": token})
    assert response.status_code == 401 and response.json() == {"error": "invalid_client"}
    wrong = client.post(
        "/oauth/introspect", {"token": token}, HTTP_AUTHORIZATION=basic(web_app.client_id, "x")
    )
    assert wrong.status_code == 401


def test_introspection_of_expired_unknown_or_disabled_is_inactive(client, web_app, demo):
    token = user_tokens(client, web_app, demo["user"])["access_token"]
    assert introspect(client, web_app, "nope").json() == {"active": False}
    AccessToken.objects.update(expires=timezone.now() - timedelta(seconds=1))
    assert introspect(client, web_app, token).json() == {"active": False}


def test_introspection_without_token_is_invalid_request(client, web_app):
    response = introspect(client, web_app, "")
    assert response.status_code == 400 and response.json()["error"] == "invalid_request"


# --- revocation -------------------------------------------------------------------------


def test_revoking_an_access_token_also_revokes_its_refresh_token(client, web_app, demo):
    tokens = user_tokens(client, web_app, demo["user"])
    response = client.post(
        "/oauth/revoke",
        {"token": tokens["access_token"]},
        HTTP_AUTHORIZATION=basic(web_app.client_id, web_app.client_secret),
    )
    assert response.status_code == 200
    assert client.get("/uapi/@me", HTTP_AUTHORIZATION=f"Bearer {tokens['access_token']}").status_code == 401
    assert not RefreshToken.objects.filter(revoked__isnull=True).exists()


def test_an_app_cannot_revoke_another_apps_token(client, web_app, trusted_app, demo):
    tokens = user_tokens(client, web_app, demo["user"])
    client.post(
        "/oauth/revoke",
        {"token": tokens["access_token"]},
        HTTP_AUTHORIZATION=basic(trusted_app.client_id, trusted_app.client_secret),
    )
    assert client.get("/uapi/@me", HTTP_AUTHORIZATION=f"Bearer {tokens['access_token']}").status_code == 200


def test_revoke_needs_client_credentials(client, web_app, demo):
    tokens = user_tokens(client, web_app, demo["user"])
    response = client.post("/oauth/revoke", {"token": tokens["access_token"], "client_id": web_app.client_id})
    assert response.status_code == 401
    assert client.get("/uapi/@me", HTTP_AUTHORIZATION=f"Bearer {tokens['access_token']}").status_code == 200
